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
        /// Checks admitted at once, running or queued: the hard bound on memory. Default: 1,024 per
        /// thread (a queued check is a closure of a few hundred bytes).
        public var maximumPending: Int
        /// The longest a newly admitted check may expect to wait, judged from the recent duration of
        /// checks: a queue longer than that would only answer requests the device has given up on
        /// (RADIUS clients retransmit, then fail over, within a few seconds). Default: 4 s. With
        /// OWASP-cost hashes (about 115 ms) on 2 threads that admits about 70; with cheap hashes,
        /// thousands, so that a busy site is not refused for a bound made for slow hashes.
        public var maximumWait: Duration

        public init(threads: Int = System.coreCount, maximumPending: Int? = nil, maximumWait: Duration = .seconds(4)) {
            self.threads = max(1, threads)
            self.maximumPending = max(self.threads, maximumPending ?? self.threads * 1024)
            self.maximumWait = maximumWait
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
    /// A moving average of how long one check takes, in nanoseconds (0 until the first one).
    private let averageCheckNanoseconds = Atomic<Int>(0)

    /// Starts the threads. Call ``shutdown()`` when done.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        threadPool = NIOThreadPool(numberOfThreads: configuration.threads)
        threadPool.start()
    }

    /// How many checks may be admitted now: as many as finish within ``Configuration/maximumWait``
    /// at the recent speed, at least one per thread, at most ``Configuration/maximumPending``.
    public var admissionLimit: Int {
        let average = averageCheckNanoseconds.load(ordering: .relaxed)
        guard average > 0 else { return configuration.maximumPending }
        let (seconds, attoseconds) = configuration.maximumWait.components
        let waitNanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        let byTime = configuration.threads * max(1, waitNanoseconds / average)
        return min(configuration.maximumPending, max(configuration.threads, byTime))
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
        guard count <= admissionLimit else {
            throw Overloaded(limit: admissionLimit)
        }
        return try await threadPool.runIfActive { [self] in
            let start = ContinuousClock.now
            defer {
                let (seconds, attoseconds) = start.duration(to: .now).components
                let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
                let average = self.averageCheckNanoseconds.load(ordering: .relaxed)
                // Exponential moving average, weight 1/8: follows a change of cost within a few checks.
                self.averageCheckNanoseconds.store(average == 0 ? nanoseconds : average + (nanoseconds - average) / 8, ordering: .relaxed)
            }
            return try body()
        }
    }

    /// Lets running checks finish, refuses queued and new ones, and stops the threads.
    public func shutdown() async throws {
        try await threadPool.shutdownGracefully()
    }
}
