import Foundation
import NIOPosix
import Policy
import Synchronization

/// `authevents.log`: one JSON line per auth event, appended in order.
///
/// Policy hands events over without waiting; a writer task encodes and appends them off the
/// cooperative pool (on NIO's blocking thread pool), so a slow disk never holds up a login. The
/// queue is bounded: past it, events are counted as lost and the loss is logged, rather than
/// memory growing without limit.
final class AuthEventLog: AuthEventSink {
    private let continuation: AsyncStream<AuthEvent>.Continuation
    private let stream: AsyncStream<AuthEvent>
    private let handle: FileHandle
    let path: String
    private let lost = Atomic<Int>(0)

    static let queueLimit = 100_000

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        self.path = path
        (stream, continuation) = AsyncStream.makeStream(of: AuthEvent.self, bufferingPolicy: .bufferingOldest(Self.queueLimit))
    }

    func record(_ event: AuthEvent) {
        if case .dropped = continuation.yield(event) { lost.add(1, ordering: .relaxed) }
    }

    /// Writes events until ``finish()``; returns when everything queued is on disk.
    func run() async {
        var line: [UInt8] = []
        for await event in stream {
            line.append(contentsOf: event.jsonLine().utf8)
            line.append(UInt8(ascii: "\n"))
            await write(&line)
        }
        try? handle.close()
    }

    private func write(_ batch: inout [UInt8]) async {
        guard !batch.isEmpty else { return }
        let data = Data(batch)
        batch.removeAll(keepingCapacity: true)
        let handle = self.handle
        try? await NIOThreadPool.singleton.runIfActive { handle.write(data) }
    }

    /// Events that did not fit in the queue since the start.
    var lostEvents: Int { lost.load(ordering: .relaxed) }

    func finish() {
        continuation.finish()
    }
}
