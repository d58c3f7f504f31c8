import NIOCore
import NIOPosix
import Synchronization

/// Where password hashes are computed: a few dedicated threads, and a bound on the checks waiting
/// for them. One pool serves every `[local_client]` of the process.
///
/// Why dedicated threads: one check is 0.1 to 1 s of CPU by design. On an event loop it would
/// stall every connection of that loop; on Swift's cooperative pool (one thread per core) a burst
/// of logins would take every thread and starve all other async work: Duo calls, RADIUS replies,
/// timers. A `NIOThreadPool`'s threads are ordinary OS threads that the kernel time-slices with
/// the event loops, so the proxy keeps answering while hashing saturates its threads.
///
/// Why a bound: at most ``Configuration/threads`` checks run at once (CPU at most that many
/// cores, memory at most that many times one check's, 128 MiB for OWASP's scrypt), and at most
/// ``Configuration/maximumPending`` are admitted (running or queued). Beyond that a login is
/// refused at once, so a flood costs a counter increment, not a queue that only grows.
public final class PasswordCheckPool: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Checks computed at once. Default: one per core.
        public var threads: Int
        /// Checks admitted at once, running or queued. Default: 16 per thread. At 250 ms a check
        /// the last one waits about 4 s, inside a RADIUS client's retransmission window; a longer
        /// queue would only answer requests the device has given up on.
        public var maximumPending: Int

        public init(threads: Int = System.coreCount, maximumPending: Int? = nil) {
            self.threads = max(1, threads)
            self.maximumPending = max(self.threads, maximumPending ?? self.threads * 16)
        }
    }

    /// Thrown by ``run(_:)`` when ``Configuration/maximumPending`` checks are already admitted.
    public struct Overloaded: Error, CustomStringConvertible {
        public var limit: Int
        public var description: String {
            "\(limit) password checks are already running or queued (the limit): refused without checking"
        }
    }

    public let configuration: Configuration
    private let threadPool: NIOThreadPool
    private let admitted = Atomic<Int>(0)

    /// Starts the threads. Call ``shutdown()`` when done.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        threadPool = NIOThreadPool(numberOfThreads: configuration.threads)
        threadPool.start()
    }

    /// Checks admitted now (running or queued).
    public var pendingCount: Int { admitted.load(ordering: .relaxed) }

    /// Runs `body` on one of the pool's threads and returns its result, without blocking the
    /// caller's thread. Throws ``Overloaded`` without running it when the pool is full,
    /// `CancellationError` if the task is cancelled while queued, and NIO's `ThreadPoolInactive`
    /// after ``shutdown()``.
    public func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        let count = admitted.wrappingAdd(1, ordering: .relaxed).newValue
        defer { admitted.wrappingSubtract(1, ordering: .relaxed) }
        guard count <= configuration.maximumPending else {
            throw Overloaded(limit: configuration.maximumPending)
        }
        return try await threadPool.runIfActive(body)
    }

    /// Lets running checks finish, refuses queued and new ones, and stops the threads.
    public func shutdown() async throws {
        try await threadPool.shutdownGracefully()
    }
}
