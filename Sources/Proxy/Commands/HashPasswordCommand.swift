import ArgumentParser
import Upstream

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `twofold hash-password`: makes an entry for a `[local_client]` users file.
///
/// The password is read from standard input, never from the command line (where `ps` and shell
/// history would show it): at a terminal it is asked twice without echo; from a pipe the first
/// line is taken. The entry goes to standard output, prompts and errors to standard error, so
/// `twofold hash-password --username alice >> users` works.
struct HashPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Hash a password read from standard input into an entry of a local users file.",
        discussion: """
            Prints NAME:HASH with --username, else the hash alone, in PHC string format: \
            $pbkdf2-sha256$i=600000$SALT$HASH or $scrypt$ln=17,r=8,p=1$SALT$HASH (16-byte random \
            salt, 32-byte hash, unpadded base64). The default costs are OWASP's (Password Storage \
            Cheat Sheet): PBKDF2-HMAC-SHA256 with 600,000 iterations, scrypt with N=2^17, r=8, p=1. \
            At a terminal the password is asked twice without echo; from a pipe the first line is \
            read (a trailing CR is dropped). See Examples/local-users/README.md.
            """
    )

    enum Algorithm: String, ExpressibleByArgument, CaseIterable {
        case pbkdf2SHA256 = "pbkdf2-sha256"
        case scrypt
    }

    @Option(help: "pbkdf2-sha256 (default) or scrypt.")
    var algorithm: Algorithm = .pbkdf2SHA256

    @Option(help: "PBKDF2 iterations (default 600000).")
    var iterations: Int?

    @Option(name: .customLong("log-n"), help: "scrypt: log2 of N, the CPU/memory cost (default 17).")
    var logN: Int?

    @Option(name: .customLong("block-size"), help: "scrypt: r, the block size (default 8).")
    var blockSize: Int?

    @Option(help: "scrypt: p, the parallelism (default 1).")
    var parallelism: Int?

    @Option(help: "Print NAME:HASH, a whole line of the users file.")
    var username: String?

    @Flag(name: .customLong("allow-weak-cost"), help: "Allow a cost below OWASP's minimum (the file then loads only with a lower configured floor).")
    var allowWeakCost = false

    /// The cost the options ask for: OWASP's defaults where an option is not given.
    var cost: PasswordHashCost {
        switch (algorithm, PasswordHashCost.pbkdf2SHA256Default, PasswordHashCost.scryptDefault) {
        case (.pbkdf2SHA256, .pbkdf2SHA256(let defaultIterations), _):
            return .pbkdf2SHA256(iterations: iterations ?? defaultIterations)
        case (.scrypt, _, .scrypt(let defaultLogN, let defaultBlockSize, let defaultParallelism)):
            return .scrypt(
                logN: logN ?? defaultLogN, blockSize: blockSize ?? defaultBlockSize,
                parallelism: parallelism ?? defaultParallelism)
        case (.pbkdf2SHA256, _, _):
            return .pbkdf2SHA256Default
        case (.scrypt, _, _):
            return .scryptDefault
        }
    }

    func validate() throws {
        switch algorithm {
        case .pbkdf2SHA256:
            if logN != nil || blockSize != nil || parallelism != nil {
                throw ValidationError("--log-n, --block-size and --parallelism are for scrypt: add --algorithm scrypt, or give --iterations for pbkdf2-sha256")
            }
        case .scrypt:
            if iterations != nil {
                throw ValidationError("--iterations is for pbkdf2-sha256: scrypt's cost is --log-n, --block-size and --parallelism")
            }
        }
        if let violation = cost.limitViolation {
            throw ValidationError("\(cost): \(violation)")
        }
        if !allowWeakCost, let shortfall = PasswordCostFloor.owasp.shortfall(of: cost) {
            throw ValidationError(
                "\(shortfall) (OWASP's minimum); such an entry loads only where the configured floor is lower: add --allow-weak-cost if that is what you mean")
        }
        if let username, let problem = LocalUsername.problem(username[...]) {
            throw ValidationError("--username: \(problem)")
        }
    }

    func run() throws {
        let password: [UInt8]
        do {
            password = try PasswordInput.readPassword()
        } catch {
            printToStandardError("twofold hash-password: \(error)")
            throw ExitCode(1)
        }
        let hash = try PasswordHash.make(password: password, cost: cost)
        print((username.map { "\($0):" } ?? "") + hash.phcString)
    }
}

/// Reading a password from standard input: hidden and asked twice at a terminal, the first line
/// of a pipe otherwise.
enum PasswordInput {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Longer input is a mistake (a file piped in by accident), not a password.
    static let maximumBytes = 1024

    static func readPassword() throws -> [UInt8] {
        let password: [UInt8]
        if isatty(STDIN_FILENO) == 1 {
            let first = try readHidden(prompt: "Password: ")
            let second = try readHidden(prompt: "Again: ")
            guard first == second else { throw Failure(description: "the two passwords differ: nothing was written") }
            password = first
        } else {
            guard let line = try readLine() else {
                throw Failure(description: "no password on standard input: pipe it in (printf '%s\\n' \"$PASSWORD\" | twofold hash-password) or run at a terminal")
            }
            password = line
        }
        guard !password.isEmpty else { throw Failure(description: "the password is empty") }
        return password
    }

    /// One line without its LF (and a CR before it), nil at end of input with nothing read.
    /// Reads a byte at a time so nothing after the line is consumed.
    private static func readLine() throws -> [UInt8]? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(STDIN_FILENO, &byte, 1)
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read standard input (\(String(cString: strerror(errno))))")
            }
            if count == 0 { return line.isEmpty ? nil : line }
            if byte == UInt8(ascii: "\n") { break }
            guard line.count < maximumBytes else {
                throw Failure(description: "the password is longer than \(maximumBytes) bytes: is the right thing piped in?")
            }
            line.append(byte)
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line
    }

    /// Echo goes off before the prompt appears, so nothing typed after the prompt is echoed.
    private static func readHidden(prompt: String) throws -> [UInt8] {
        guard tcgetattr(STDIN_FILENO, &savedTerminal) == 0 else {
            throw Failure(description: "cannot turn off echo on the terminal (\(String(cString: strerror(errno))))")
        }
        var hidden = savedTerminal
        hidden.c_lflag &= ~tcflag_t(ECHO)
        // Ctrl-C while echo is off must not leave the terminal without echo.
        signal(SIGINT) { number in
            tcsetattr(STDIN_FILENO, TCSANOW, &savedTerminal)
            _exit(128 + number)
        }
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden)
        writeToStandardError(prompt)
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, &savedTerminal)
            signal(SIGINT, SIG_DFL)
            writeToStandardError("\n")
        }
        return try readLine() ?? []
    }
}

/// Writes `text` as it is (a prompt stays on its line).
private func writeToStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    _ = write(STDERR_FILENO, &bytes, bytes.count)
}

/// The terminal settings to restore, global so the SIGINT handler (a C function) can reach them.
/// Written before the handler is installed and only read by it.
nonisolated(unsafe) private var savedTerminal = termios()
