import Policy
import Synchronization

/// `[local_client]`: primary authentication against a users file of salted, slow password hashes
/// (see ``LocalUsers`` for the format, `twofold hash-password` to make entries).
///
/// Every login costs one hash computed on a ``PasswordCheckPool``: a known user's entry, or for an
/// unknown user a decoy of the same cost, so that both answers take the same time. An empty
/// password is refused before any hashing (it can never match, and says nothing about the user).
///
/// ``reload()`` reads the file again and swaps the users in one step; a file that does not load
/// leaves the previous users in place.
public final class LocalUsersClient: PrimaryAuthenticator {
    public struct Configuration: Sendable, Hashable {
        /// `users_file`.
        public var usersFile: String
        /// The weakest hash an entry may have; see ``PasswordCostFloor`` for why entries below it
        /// make the file fail to load instead of a warning.
        public var costFloor: PasswordCostFloor

        public init(usersFile: String, costFloor: PasswordCostFloor = .owasp) {
            self.usersFile = usersFile
            self.costFloor = costFloor
        }
    }

    public let name: String
    public let configuration: Configuration
    private let pool: PasswordCheckPool
    private let current: Mutex<LocalUsers>

    /// Loads the users file; throws ``LocalUsersError`` naming the file and line when it cannot.
    public init(name: String = "local_client", configuration: Configuration, pool: PasswordCheckPool) throws(LocalUsersError) {
        self.name = name
        self.configuration = configuration
        self.pool = pool
        current = Mutex(try LocalUsers.load(path: configuration.usersFile, floor: configuration.costFloor))
    }

    /// The users in use now.
    public var users: LocalUsers { current.withLock { $0 } }

    /// Reads the users file again (on SIGHUP, say) and, only if all of it is valid, replaces the
    /// users in one step: a login sees the old file or the new one, never a mix. On failure the
    /// previous users stay and the error says so (``LocalUsersError/keptPreviousUsers``).
    ///
    /// Reads a small file synchronously: call it from a signal-handling service, not an event loop.
    @discardableResult
    public func reload() throws(LocalUsersError) -> LocalUsers {
        let loaded: LocalUsers
        do {
            loaded = try LocalUsers.load(path: configuration.usersFile, floor: configuration.costFloor)
        } catch {
            var error = error
            error.keptPreviousUsers = users.count
            throw error
        }
        current.withLock { $0 = loaded }
        return loaded
    }

    public func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome {
        let shownName = LocalUsername.printable(request.username[...])
        guard !request.password.isEmpty else {
            return .rejected(PrimaryRejection(.emptyPassword, diagnostic: "empty password for \(shownName), refused without a check"))
        }
        let users = self.users
        let user = users[request.username]
        let hash = user?.hash ?? users.decoy
        let password = request.password.bytes
        let matches: Bool
        do {
            matches = try await pool.run { try hash.verify(password) }
        } catch let error as PasswordCheckPool.Overloaded {
            return .unavailable(diagnostic: "\(error)")
        } catch is CancellationError {
            return .unavailable(diagnostic: "the login of \(shownName) was cancelled before its password was checked")
        } catch {
            return .unavailable(diagnostic: "the password of \(shownName) could not be checked (\(error))")
        }
        guard let user else {
            return .rejected(PrimaryRejection(.unknownUser, diagnostic: "\(shownName) is not in \(users.path)"))
        }
        guard matches else {
            return .rejected(PrimaryRejection(.wrongPassword, diagnostic: "wrong password for \(shownName) (\(users.path):\(user.line))"))
        }
        return .accepted(PrimaryAccept())
    }
}
