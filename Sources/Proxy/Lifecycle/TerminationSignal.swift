import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM, watched from the moment this is made: make it first thing in a command, so
/// that a signal arriving while the command starts (or right after it said it listens) is kept
/// for ``wait()`` instead of killing the process or being lost. Waiting blocks no thread of the
/// cooperative pool.
final class TerminationSignal: Sendable {
    private final class State: Sendable {
        let value = Mutex<(received: String?, waiter: CheckedContinuation<String, Never>?)>((nil, nil))

        func deliver(_ name: String) {
            let waiter = value.withLock { state -> CheckedContinuation<String, Never>? in
                guard state.received == nil else { return nil }
                state.received = name
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: name)
        }
    }

    /// Dispatch sources may be cancelled from any thread (Dispatch documents them as thread-safe).
    private final class Sources: @unchecked Sendable {
        let value: [any DispatchSourceSignal]
        init(_ value: [any DispatchSourceSignal]) { self.value = value }
    }

    private let state = State()
    private let sources: Sources

    init() {
        let state = self.state
        let queue = DispatchQueue(label: "twofold.signals")
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            // The dispatch source sees the signal; the default action (exit) must not.
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { state.deliver(name) }
            source.resume()
            sources.append(source)
        }
        self.sources = Sources(sources)
    }

    /// The first signal's name, once one arrived (at once if it already did).
    func wait() async -> String {
        let name = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let received = state.value.withLock { state -> String? in
                if let received = state.received { return received }
                state.waiter = continuation
                return nil
            }
            if let received { continuation.resume(returning: received) }
        }
        for source in sources.value { source.cancel() }
        return name
    }
}
