import ArgumentParser
import NIOCore
import NIOPosix

// Swift concurrency runs on NIO's event loops: a login's task resumes on the loop that read its
// Duo answer or its datagram instead of hopping to another thread pool and back. Nothing in
// twofold blocks a task: password hashing has its own threads (`PasswordCheckPool`). Must run
// before any task starts, hence this file instead of `@main`.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

/// In an async function `main()` is `AsyncParsableCommand`'s; at top level it would be
/// `ParsableCommand`'s synchronous one, which cannot run an async command.
func startTwofold() async {
    await Twofold.main()
}
await startTwofold()
