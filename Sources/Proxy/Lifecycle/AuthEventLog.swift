import Foundation
import NIOPosix
import Policy
import Synchronization

/// `authevents.log`: one JSON line per auth event, appended in order, rotated like the log file.
///
/// Policy hands events over without waiting; a writer task encodes and appends them off the
/// cooperative pool (on NIO's blocking thread pool), so a slow disk never holds up a login. The
/// queue is bounded: past it, events are counted as lost and the loss is logged, rather than
/// memory growing without limit.
final class AuthEventLog: AuthEventSink {
    private let continuation: AsyncStream<AuthEvent>.Continuation
    private let stream: AsyncStream<AuthEvent>
    let file: RotatingFile
    var path: String { file.path }
    private let lost = Atomic<Int>(0)

    static let queueLimit = 100_000

    init(path: String, limits: RotatingFile.Limits?) throws {
        file = try RotatingFile(path: path, limits: limits)
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
        file.close()
    }

    private func write(_ batch: inout [UInt8]) async {
        guard !batch.isEmpty else { return }
        let data = Data(batch)
        batch.removeAll(keepingCapacity: true)
        let file = self.file
        try? await NIOThreadPool.singleton.runIfActive { file.write(data) }
    }

    /// Events that did not fit in the queue since the start.
    var lostEvents: Int { lost.load(ordering: .relaxed) }

    func finish() {
        continuation.finish()
    }
}
