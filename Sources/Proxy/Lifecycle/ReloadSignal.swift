import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP as a stream: each signal is one element, delivered without blocking a thread of the
/// cooperative pool. The source lives as long as the stream is iterated.
enum ReloadSignal {
    /// Dispatch sources may be cancelled from any thread (Dispatch documents them as thread-safe).
    private final class SourceBox: @unchecked Sendable {
        let value: any DispatchSourceSignal
        init(_ value: any DispatchSourceSignal) { self.value = value }
    }

    static func stream() -> AsyncStream<Void> {
        Glibc.signal(SIGHUP, SIG_IGN)
        return AsyncStream { continuation in
            // DispatchSource is thread-safe but not marked Sendable; the box says so once.
            let source = SourceBox(DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "twofold.sighup")))
            source.value.setEventHandler { continuation.yield() }
            continuation.onTermination = { _ in source.value.cancel() }
            source.value.resume()
        }
    }
}
