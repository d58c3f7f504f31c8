import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Waits for SIGINT or SIGTERM without blocking a thread of the cooperative pool.
enum TerminationSignal {
    static func wait() async -> String {
        Glibc.signal(SIGINT, SIG_IGN)
        Glibc.signal(SIGTERM, SIG_IGN)
        let queue = DispatchQueue(label: "twofold.signals")
        let resumed = Mutex(false)
        // The sources must live until a signal arrives; the continuation keeps them.
        nonisolated(unsafe) var sources: [any DispatchSourceSignal] = []
        let name = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    let first = resumed.withLock { done in
                        defer { done = true }
                        return !done
                    }
                    if first { continuation.resume(returning: name) }
                }
                source.resume()
                sources.append(source)
            }
        }
        for source in sources { source.cancel() }
        return name
    }
}
