import Crypto
import _CryptoExtras

/// What one password check costs: the algorithm and its parameters, exactly as an entry of the
/// users file writes them.
///
/// The defaults follow the OWASP Password Storage Cheat Sheet
/// (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html, as of 2023-2025):
/// "PBKDF2 with a work factor of 600,000 or more and set with an internal hash function of
/// HMAC-SHA-256" and "scrypt with a minimum CPU/memory cost parameter of (2^17), a minimum block
/// size of 8 (1024 bytes), and a parallelization parameter of 1".
public enum PasswordHashCost: Sendable, Hashable, CustomStringConvertible {
    /// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) with this many iterations.
    case pbkdf2SHA256(iterations: Int)
    /// scrypt (RFC 7914) with N = 2^logN, block size r and parallelism p.
    case scrypt(logN: Int, blockSize: Int, parallelism: Int)

    /// OWASP: PBKDF2-HMAC-SHA256, 600,000 iterations. What `twofold hash-password` writes by default.
    public static let pbkdf2SHA256Default = PasswordHashCost.pbkdf2SHA256(iterations: 600_000)
    /// OWASP: scrypt N=2^17 (128 MiB), r=8, p=1.
    public static let scryptDefault = PasswordHashCost.scrypt(logN: 17, blockSize: 8, parallelism: 1)

    /// The PHC identifier: `pbkdf2-sha256` or `scrypt`.
    public var algorithm: String {
        switch self {
        case .pbkdf2SHA256: "pbkdf2-sha256"
        case .scrypt: "scrypt"
        }
    }

    /// The PHC parameter string: `i=600000` or `ln=17,r=8,p=1`.
    public var parameters: String {
        switch self {
        case .pbkdf2SHA256(let iterations): "i=\(iterations)"
        case .scrypt(let logN, let blockSize, let parallelism): "ln=\(logN),r=\(blockSize),p=\(parallelism)"
        }
    }

    public var description: String { "\(algorithm) \(parameters)" }

    /// Bytes one check allocates: scrypt's V and B arrays are 128·r·(N + p + 1) bytes (RFC 7914 §5);
    /// PBKDF2 needs a few hundred bytes.
    public var memoryBytes: Int {
        switch self {
        case .pbkdf2SHA256: 0
        case .scrypt(let logN, let blockSize, let parallelism):
            128 * blockSize * ((1 << logN) + parallelism + 1)
        }
    }

    /// Why these parameters are outside ``PasswordHashLimits`` (and what is valid), or nil when
    /// they are inside. Checked before any hashing, so a typo in a file cannot make one login
    /// allocate gigabytes or run for minutes.
    public var limitViolation: String? {
        typealias Limits = PasswordHashLimits
        switch self {
        case .pbkdf2SHA256(let iterations):
            guard Limits.pbkdf2Iterations.contains(iterations) else {
                return "i=\(iterations) is outside 1...\(Limits.pbkdf2Iterations.upperBound)"
            }
        case .scrypt(let logN, let blockSize, let parallelism):
            guard Limits.scryptLogN.contains(logN) else {
                return "ln=\(logN) is outside \(Limits.scryptLogN.lowerBound)...\(Limits.scryptLogN.upperBound)"
            }
            guard Limits.scryptBlockSize.contains(blockSize) else {
                return "r=\(blockSize) is outside \(Limits.scryptBlockSize.lowerBound)...\(Limits.scryptBlockSize.upperBound)"
            }
            guard Limits.scryptParallelism.contains(parallelism) else {
                return "p=\(parallelism) is outside \(Limits.scryptParallelism.lowerBound)...\(Limits.scryptParallelism.upperBound)"
            }
            // RFC 7914 §2: "N ... must be larger than 1, a power of 2, and less than 2^(128 * r / 8)".
            guard logN < 16 * blockSize else {
                return "ln=\(logN) with r=\(blockSize): RFC 7914 needs N < 2^(16·r), so ln below \(16 * blockSize)"
            }
            guard memoryBytes <= Limits.scryptMemoryBytes else {
                return "ln=\(logN),r=\(blockSize) needs \(memoryBytes >> 20) MiB per check; the limit is \(Limits.scryptMemoryBytes >> 20) MiB"
            }
        }
        return nil
    }
}

/// Bounds on what an entry may ask for, enforced when the file is read (before any allocation).
public enum PasswordHashLimits {
    /// Far above OWASP's 600,000, far below what would stall a login (about 5 s of CPU per check
    /// at 10 million on current hardware).
    public static let pbkdf2Iterations = 1...10_000_000
    /// N = 2^1 ... 2^20.
    public static let scryptLogN = 1...20
    /// swift-crypto sizes BoringSSL's memory limit as 128·N·r·p plus one page; with p = 1 that
    /// covers the 128·r·(N + 2) bytes scrypt allocates only while r ≤ 16.
    public static let scryptBlockSize = 1...16
    public static let scryptParallelism = 1...16
    /// Memory of one scrypt check: 256 MiB (N=2^18, r=8). Checks run at most
    /// ``PasswordCheckPool/Configuration/threads`` at a time, which bounds the total.
    public static let scryptMemoryBytes = 256 << 20
    /// NIST SP 800-63B §5.1.1.2 asks for at least 32 bits of salt; 8 bytes admits hashes of other
    /// tools, and `twofold hash-password` writes ``generatedSaltBytes``.
    public static let saltBytes = 8...64
    /// Shorter outputs make collisions findable; 64 bytes is the PHC format's recommended maximum.
    public static let digestBytes = 16...64
    public static let generatedSaltBytes = 16
    public static let generatedDigestBytes = 32
}

/// The weakest cost a users file may contain. An entry below it makes the whole file fail to
/// load, naming the line.
///
/// Rejecting rather than warning: a warning at start-up is read by nobody, and a weak hash is a
/// silent risk until the day the file leaks and is cracked offline. The floor is checked when the
/// file is (re)loaded, never at login, so it cannot lock anyone out mid-day: a reload with a weak
/// entry keeps the previous users. An administrator who must go lower (slow hardware, many logins)
/// says so in the configuration with a lower floor.
public struct PasswordCostFloor: Sendable, Hashable, CustomStringConvertible {
    public var minimumPBKDF2Iterations: Int
    /// The least N·r·p for scrypt. OWASP lists N=2^17,r=8,p=1 ... N=2^13,r=8,p=10 as equally
    /// strong (memory traded for time); the weakest product among them is 2^13·8·10 = 655,360.
    public var minimumScryptWork: Int

    public init(minimumPBKDF2Iterations: Int, minimumScryptWork: Int) {
        self.minimumPBKDF2Iterations = minimumPBKDF2Iterations
        self.minimumScryptWork = minimumScryptWork
    }

    /// OWASP's current minimums: PBKDF2-HMAC-SHA256 600,000 iterations; scrypt N·r·p ≥ 655,360.
    public static let owasp = PasswordCostFloor(minimumPBKDF2Iterations: 600_000, minimumScryptWork: 655_360)
    /// No floor. For tests and benchmarks only, which use small costs to stay fast.
    public static let none = PasswordCostFloor(minimumPBKDF2Iterations: 1, minimumScryptWork: 1)

    /// Why `cost` is below this floor, or nil when it is not.
    public func shortfall(of cost: PasswordHashCost) -> String? {
        switch cost {
        case .pbkdf2SHA256(let iterations):
            guard iterations >= minimumPBKDF2Iterations else {
                return "\(cost) is below the floor of \(minimumPBKDF2Iterations) iterations"
            }
        case .scrypt(let logN, let blockSize, let parallelism):
            let work = (1 << logN) * blockSize * parallelism
            guard work >= minimumScryptWork else {
                return "\(cost) is below the floor (N·r·p = \(work), at least \(minimumScryptWork))"
            }
        }
        return nil
    }

    public var description: String {
        "pbkdf2-sha256 i>=\(minimumPBKDF2Iterations), scrypt N*r*p>=\(minimumScryptWork)"
    }
}

/// A salted, slow password hash in PHC string format:
/// `$pbkdf2-sha256$i=600000$<salt>$<hash>` or `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`, where salt
/// and hash are unpadded standard base64 (``PHCBase64``).
///
/// Its description names the algorithm and cost only: a hash is not a password, but it is what
/// an attacker cracks offline, so it is kept out of logs too.
public struct PasswordHash: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let cost: PasswordHashCost
    public let salt: [UInt8]
    let digest: [UInt8]

    init(cost: PasswordHashCost, salt: [UInt8], digest: [UInt8]) {
        self.cost = cost
        self.salt = salt
        self.digest = digest
    }

    /// Hashes `password` with a fresh random salt (``PasswordHashLimits/generatedSaltBytes``) into
    /// a ``PasswordHashLimits/generatedDigestBytes`` output.
    public static func make(password: [UInt8], cost: PasswordHashCost = .pbkdf2SHA256Default) throws -> PasswordHash {
        guard !password.isEmpty else { throw PasswordHashError.emptyPassword() }
        if let violation = cost.limitViolation { throw PasswordHashError.limits(violation) }
        var generator = SystemRandomNumberGenerator()  // the OS CSPRNG (getrandom on Linux)
        let salt = (0..<PasswordHashLimits.generatedSaltBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let digest = try derive(
            password: password, salt: salt, cost: cost, outputByteCount: PasswordHashLimits.generatedDigestBytes)
        return PasswordHash(cost: cost, salt: salt, digest: digest)
    }

    /// A hash no password matches (random salt and output), of the given cost and output length
    /// (PBKDF2's work grows with each 32 bytes of output): what an unknown user is checked
    /// against, so that unknown users and wrong passwords take the same time.
    static func decoy(cost: PasswordHashCost, digestBytes: Int = PasswordHashLimits.generatedDigestBytes) -> PasswordHash {
        var generator = SystemRandomNumberGenerator()
        func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) } }
        return PasswordHash(
            cost: cost, salt: randomBytes(PasswordHashLimits.generatedSaltBytes), digest: randomBytes(digestBytes))
    }

    /// Whether `password` hashes to this entry. CPU-heavy (about 0.1 to 1 s at real costs): run it
    /// on a ``PasswordCheckPool``, never on an event loop or the cooperative pool.
    ///
    /// The comparison is constant-time. An empty password never matches and is not hashed.
    public func verify(_ password: [UInt8]) throws -> Bool {
        guard !password.isEmpty else { return false }
        let candidate = try Self.derive(password: password, salt: salt, cost: cost, outputByteCount: digest.count)
        return constantTimeEqual(candidate, digest)
    }

    /// The raw key derivation, also used by the RFC 7914 §11 test vectors.
    static func derive(password: [UInt8], salt: [UInt8], cost: PasswordHashCost, outputByteCount: Int) throws -> [UInt8] {
        let key: SymmetricKey
        switch cost {
        case .pbkdf2SHA256(let iterations):
            // The checked overload refuses fewer than 210,000 rounds; our floor is enforced when
            // the file is loaded (``PasswordCostFloor``), and tests use small costs.
            key = try KDF.Insecure.PBKDF2.deriveKey(
                from: password, salt: salt, using: .sha256, outputByteCount: outputByteCount,
                unsafeUncheckedRounds: iterations)
        case .scrypt(let logN, let blockSize, let parallelism):
            key = try KDF.Scrypt.deriveKey(
                from: password, salt: salt, outputByteCount: outputByteCount, rounds: 1 << logN,
                blockSize: blockSize, parallelism: parallelism)
        }
        return key.withUnsafeBytes { Array($0) }
    }

    /// The PHC string, as written in the users file.
    public var phcString: String {
        "$\(cost.algorithm)$\(cost.parameters)$\(PHCBase64.encode(salt))$\(PHCBase64.encode(digest))"
    }

    public var description: String { "\(cost) (salt and hash not shown)" }
    public var debugDescription: String { description }
}

extension PasswordHash {
    /// Parses a PHC string (see the type's documentation); the error says what is wrong and what
    /// would be valid, without repeating the salt or hash.
    public init(phcString text: Substring) throws(PasswordHashError) {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false)
        let expected = "expected $pbkdf2-sha256$i=ITERATIONS$SALT$HASH or $scrypt$ln=LOGN,r=R,p=P$SALT$HASH"
        guard fields.count >= 2, fields[0].isEmpty else { throw .format(expected) }
        let isPBKDF2: Bool
        switch fields[1] {
        case "pbkdf2-sha256": isPBKDF2 = true
        case "scrypt": isPBKDF2 = false
        default:
            let shown = fields[1].count <= 32 && fields[1].allSatisfy { $0.isASCII && !$0.isWhitespace }
                ? "\"\(fields[1])\"" : "this one"
            throw .unsupportedAlgorithm("algorithm \(shown) is not supported: use pbkdf2-sha256 or scrypt (`twofold hash-password`)")
        }
        guard fields.count == 5 else {
            throw .format("\(expected) (5 fields separated by $), found \(fields.count - 1) field(s)")
        }
        let cost: PasswordHashCost
        if isPBKDF2 {
            let values = try Self.parameters(fields[2], names: ["i"], algorithm: "pbkdf2-sha256")
            cost = .pbkdf2SHA256(iterations: values[0])
        } else {
            let values = try Self.parameters(fields[2], names: ["ln", "r", "p"], algorithm: "scrypt")
            cost = .scrypt(logN: values[0], blockSize: values[1], parallelism: values[2])
        }
        if let violation = cost.limitViolation { throw .limits(violation) }
        guard let salt = PHCBase64.decode(fields[3]) else {
            throw .encoding("the salt is not unpadded standard base64 (A-Z a-z 0-9 + /, no = padding)")
        }
        guard PasswordHashLimits.saltBytes.contains(salt.count) else {
            throw .encoding("the salt is \(salt.count) bytes; valid is \(PasswordHashLimits.saltBytes.lowerBound) to \(PasswordHashLimits.saltBytes.upperBound)")
        }
        guard let digest = PHCBase64.decode(fields[4]) else {
            throw .encoding("the hash is not unpadded standard base64 (A-Z a-z 0-9 + /, no = padding)")
        }
        guard PasswordHashLimits.digestBytes.contains(digest.count) else {
            throw .encoding("the hash is \(digest.count) bytes; valid is \(PasswordHashLimits.digestBytes.lowerBound) to \(PasswordHashLimits.digestBytes.upperBound)")
        }
        self.init(cost: cost, salt: salt, digest: digest)
    }

    /// `name=value,...` in exactly the order `names` gives, values decimal without sign or
    /// leading zeros (the PHC format's rule for numbers).
    private static func parameters(_ text: Substring, names: [String], algorithm: String) throws(PasswordHashError) -> [Int] {
        let expected = names.map { "\($0)=N" }.joined(separator: ",")
        let pairs = text.split(separator: ",", omittingEmptySubsequences: false)
        guard pairs.count == names.count else {
            throw .format("\(algorithm) parameters must be \(expected)")
        }
        var values: [Int] = []
        for (pair, name) in zip(pairs, names) {
            guard pair.hasPrefix(name + "=") else {
                throw .format("\(algorithm) parameters must be \(expected), in that order")
            }
            let digits = pair.dropFirst(name.count + 1)
            guard digits.count <= 10, let first = digits.first, first != "0",
                  digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits)
            else {
                throw .format("\(algorithm) parameter \(name) must be a positive decimal number without leading zeros")
            }
            values.append(value)
        }
        return values
    }
}

/// Why a PHC string cannot be used (the users file adds the file and line).
public struct PasswordHashError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case format = "malformed hash"
            case unsupportedAlgorithm = "unsupported algorithm"
            case limits = "cost out of range"
            case encoding = "bad salt or hash"
            case emptyPassword = "empty password"
        }
        fileprivate var base: Base
        public static let format = Kind(base: .format)
        public static let unsupportedAlgorithm = Kind(base: .unsupportedAlgorithm)
        public static let limits = Kind(base: .limits)
        public static let encoding = Kind(base: .encoding)
        public static let emptyPassword = Kind(base: .emptyPassword)
        public var description: String { base.rawValue }
    }

    public var kind: Kind
    public var diagnostic: String

    public var description: String { diagnostic }

    @inline(never) static func format(_ text: String) -> Self { .init(kind: .format, diagnostic: text) }
    @inline(never) static func unsupportedAlgorithm(_ text: String) -> Self { .init(kind: .unsupportedAlgorithm, diagnostic: text) }
    @inline(never) static func limits(_ text: String) -> Self { .init(kind: .limits, diagnostic: text) }
    @inline(never) static func encoding(_ text: String) -> Self { .init(kind: .encoding, diagnostic: text) }
    @inline(never) static func emptyPassword() -> Self { .init(kind: .emptyPassword, diagnostic: "the password is empty") }
}

/// Compares two byte arrays in time that depends only on their lengths (the lengths of a stored
/// hash are not secret).
@inline(never)
func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}
