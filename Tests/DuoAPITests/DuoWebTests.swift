@testable import DuoAPI
import Foundation
import TestSupport
import Testing

/// Duo Web SDK v2 signatures: our own checks, then differential vectors against Duo's `duo-web`
/// 1.3.1 from PyPI (`.venv-test`), whose clock is pinned by replacing `duo_web.time`.
@Suite struct DuoWebTests {
    static let ikey = "DIXXXXXXXXXXXXXXXXXX"
    static let skey = "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
    static let akey = "useacustomerprovidedapplicationsecretkey"
    static let now: Int64 = 1_700_000_000

    static func sign(_ user: String = "testuser", at time: Int64 = now) throws -> String {
        try DuoWeb.signRequest(integrationKey: ikey, secretKey: skey, applicationKey: akey, username: user, now: time)
    }

    /// What Duo's frame posts back: its own cookie, signed with the secret key, then our APP cookie.
    static func frameResponse(
        to request: String, user: String = "testuser", prefix: String = DuoWeb.authenticationPrefix,
        at time: Int64 = now, ikey: String = ikey, skey: String = skey
    ) throws -> String {
        let appCookie = try #require(request.split(separator: ":").last)
        let duoCookie = try DuoWeb.signedCookie(prefix: prefix, key: skey, username: user, integrationKey: ikey,
                                                now: time, lifetime: DuoWeb.requestLifetime)
        return duoCookie + ":" + appCookie
    }

    static func verify(_ response: String, at time: Int64 = now + 1) -> String? {
        DuoWeb.verifyResponse(integrationKey: ikey, secretKey: skey, applicationKey: akey, response: response, now: time)
    }

    static func verifyEnroll(_ response: String, at time: Int64 = now + 1) -> String? {
        DuoWeb.verifyEnrollResponse(integrationKey: ikey, secretKey: skey, applicationKey: akey, response: response,
                                    now: time)
    }

    static func reason(_ response: String, at time: Int64 = now + 1) -> DuoWebError.Kind? {
        switch DuoWeb.checkResponse(response, expecting: .authentication, integrationKey: ikey, secretKey: skey,
                                    applicationKey: akey, now: time) {
        case .success: nil
        case .failure(let error): error.kind
        }
    }

    // MARK: Signing

    @Test func requestIsTwoSignedCookiesWithTheirLifetimes() throws {
        let request = try Self.sign()
        let cookies = request.split(separator: ":")
        #expect(cookies.count == 2)
        let tx = cookies[0].split(separator: "|"), app = cookies[1].split(separator: "|")
        #expect(tx.count == 3 && app.count == 3)
        #expect(tx[0] == "TX" && app[0] == "APP")
        #expect(String(decoding: Data(base64Encoded: String(tx[1]))!, as: UTF8.self) == "testuser|\(Self.ikey)|1700000300")
        #expect(String(decoding: Data(base64Encoded: String(app[1]))!, as: UTF8.self) == "testuser|\(Self.ikey)|1700003600")
        #expect(tx[2].count == 40 && app[2].count == 40)
        #expect(tx[2].allSatisfy { "0123456789abcdef".contains($0) })

        let enroll = try DuoWeb.signEnrollRequest(integrationKey: Self.ikey, secretKey: Self.skey,
                                                  applicationKey: Self.akey, username: "testuser", now: Self.now)
        #expect(enroll.hasPrefix("ENROLL_REQUEST|"))
        #expect(enroll.split(separator: ":")[1] == cookies[1])
    }

    /// Each `ERR|...` of duo_web's `_sign_request`, in its order of precedence.
    static let errorCases: [(ikey: String, skey: String, akey: String, user: String, kind: DuoWebError.Kind)] = [
        (ikey, skey, akey, "", .invalidUsername),
        (ikey, skey, akey, "in|valid", .invalidUsername),
        (ikey, skey, akey, "|", .invalidUsername),
        (ikey, skey, akey, "a|\u{301}b", .invalidUsername),  // a combining mark after '|' does not hide it
        ("", skey, akey, "", .invalidUsername),  // the username is checked first
        ("DIXXXXXXXXXXXXXXXXX", skey, akey, "user", .invalidIntegrationKey),
        ("DIXXXXXXXXXXXXXXXXXXY", skey, akey, "user", .invalidIntegrationKey),
        ("", skey, akey, "user", .invalidIntegrationKey),
        ("DIXXXXXXXXXXXXXXXXXX", "x", "", "user", .invalidSecretKey),  // then ikey, skey, akey
        (ikey, String(skey.dropLast()), akey, "user", .invalidSecretKey),
        (ikey, skey + "x", akey, "user", .invalidSecretKey),
        (ikey, skey, String(akey.dropLast()), "user", .invalidApplicationKey),
        (ikey, skey, "", "user", .invalidApplicationKey),
    ]

    @Test func signingErrorsMatchDuoWebsOrder() {
        for (index, testCase) in Self.errorCases.enumerated() {
            #expect(throws: DuoWebError.self, "case \(index)") {
                try DuoWeb.signRequest(integrationKey: testCase.ikey, secretKey: testCase.skey,
                                       applicationKey: testCase.akey, username: testCase.user, now: Self.now)
            }
            do {
                _ = try DuoWeb.signRequest(integrationKey: testCase.ikey, secretKey: testCase.skey,
                                           applicationKey: testCase.akey, username: testCase.user, now: Self.now)
            } catch {
                #expect(error.kind == testCase.kind, "case \(index)")
                #expect(error.errorResponse?.hasPrefix("ERR|") == true)
                #expect(!error.diagnostic.contains(Self.skey) && !error.diagnostic.contains(Self.akey))
            }
        }
        #expect(DuoWebError.invalidApplicationKey(length: 3).errorResponse
                == "ERR|The application secret key passed to sign_request() must be at least 40 characters.")
        // Longer application keys are fine; key lengths count characters (code points), not bytes.
        #expect(throws: Never.self) {
            try DuoWeb.signRequest(integrationKey: "DIXXXXXXXXXXXXXXXXXé", secretKey: String(repeating: "é", count: 40),
                                   applicationKey: Self.akey + "more", username: "a b:c", now: Self.now)
        }
        #expect(throws: DuoWebError.self) {
            try DuoWeb.signRequest(integrationKey: Self.ikey, secretKey: Self.skey, applicationKey: Self.akey,
                                   username: "u", now: .max - 10)
        }
    }

    // MARK: Verification

    @Test func frameResponseVerifiesUntilEitherCookieExpires() throws {
        let request = try Self.sign()
        let response = try Self.frameResponse(to: request)
        #expect(Self.verify(response) == "testuser")
        #expect(Self.verify(response, at: Self.now + 299) == "testuser")
        #expect(Self.verify(response, at: Self.now + 300) == nil)  // `ts >= int(exp)`
        #expect(Self.reason(response, at: Self.now + 300) == .expired)

        // Duo signs AUTH when the user answers; the APP cookie lives an hour from the request.
        let late = try Self.frameResponse(to: request, at: Self.now + 3500)
        #expect(Self.verify(late, at: Self.now + 3599) == "testuser")
        #expect(Self.verify(late, at: Self.now + 3600) == nil)
        #expect(Self.reason(late, at: Self.now + 3600) == .expired)
    }

    @Test func wrongKeysPrefixesAndUsersAreRejected() throws {
        let request = try Self.sign()
        #expect(Self.reason(try Self.frameResponse(to: request, ikey: "DIYYYYYYYYYYYYYYYYYY")) == .wrongIntegrationKey)
        #expect(Self.reason(try Self.frameResponse(to: request, skey: String(Self.skey.reversed()))) == .badSignature)
        #expect(Self.reason(try Self.frameResponse(to: request, user: "mallory")) == .usernameMismatch)
        #expect(Self.reason(try Self.frameResponse(to: request, prefix: "ENROLL")) == .wrongPrefix)
        #expect(Self.reason(try Self.frameResponse(to: request, prefix: "TX")) == .wrongPrefix)
        // Our own request is no response: TX where AUTH belongs.
        #expect(Self.verify(request) == nil)
        // The APP cookie checked with another application key.
        let response = try Self.frameResponse(to: request)
        #expect(DuoWeb.verifyResponse(integrationKey: Self.ikey, secretKey: Self.skey, applicationKey: Self.akey + "x",
                                      response: response, now: Self.now) == nil)
        // Python compares code points: the same name in NFD in one cookie and NFC in the other differs.
        let nfc = try Self.sign("José")
        #expect(Self.verify(try Self.frameResponse(to: nfc, user: "José")) == "José")
        #expect(Self.reason(try Self.frameResponse(to: nfc, user: "Jose\u{301}")) == .usernameMismatch)
    }

    @Test func enrollmentResponsesNeedTheEnrollCookie() throws {
        let request = try DuoWeb.signEnrollRequest(integrationKey: Self.ikey, secretKey: Self.skey,
                                                   applicationKey: Self.akey, username: "newuser", now: Self.now)
        let enrolled = try Self.frameResponse(to: request, user: "newuser", prefix: DuoWeb.enrollPrefix)
        #expect(Self.verifyEnroll(enrolled) == "newuser")
        #expect(Self.verify(enrolled) == nil)
        let authenticated = try Self.frameResponse(to: request, user: "newuser")
        #expect(Self.verify(authenticated) == "newuser")
        #expect(Self.verifyEnroll(authenticated) == nil)
        #expect(Self.verifyEnroll(enrolled, at: Self.now + 300) == nil)
    }

    /// Every single-byte change of a valid response, and every cut, is rejected (never trapped on).
    static func mutations(of response: String) -> [String] {
        let bytes = Array(response.utf8)
        var out: [String] = []
        for index in bytes.indices {
            for replacement: UInt8 in [UInt8(ascii: "A"), UInt8(ascii: "0"), UInt8(ascii: "|"), UInt8(ascii: ":"), 0xFF]
            where replacement != bytes[index] {
                var changed = bytes
                changed[index] = replacement
                out.append(String(decoding: changed, as: UTF8.self))
            }
            var removed = bytes
            removed.remove(at: index)
            out.append(String(decoding: removed, as: UTF8.self))
            out.append(String(decoding: bytes[..<index], as: UTF8.self))
        }
        return out
    }

    static let garbage: [String] = [
        "", ":", "::", "|", "||:||", "AUTH||:APP||", "a:b:c", "AUTH|x|y", "ERR|The username is invalid.",
        String(repeating: "|", count: 1000), String(repeating: ":", count: 1000), "\u{0}", "é:é", "🔐|🔐|🔐:🔐|🔐|🔐",
    ]

    @Test func tamperedMissingAndGarbageResponsesAreRejected() throws {
        let response = try Self.frameResponse(to: try Self.sign())
        #expect(Self.verify(response) == "testuser")
        for mutated in Self.mutations(of: response) {
            #expect(Self.verify(mutated) == nil, "\(mutated)")
        }
        let cookies = response.split(separator: ":").map(String.init)
        let swapped = cookies[1] + ":" + cookies[0]
        for broken in Self.garbage + [cookies[0], cookies[1], swapped, response + ":", response + ":" + cookies[1]] {
            #expect(Self.verify(broken) == nil, "\(broken)")
        }
        #expect(Self.reason(cookies[0]) == .malformedResponse)
        #expect(Self.reason(swapped) == .badSignature)
    }

    @Test func pythonLeniencyIsReproduced() {
        func b64(_ text: String) -> String? {
            DuoWeb.pythonBase64Decode(Substring(text).utf8).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(b64("YWJj") == "abc")
        #expect(b64("YW Jj") == "abc")
        #expect(b64("YQ==YQ==") == "a")
        #expect(b64("YQ=") == nil)
        #expect(b64("Y===") == nil)
        #expect(b64("éYWJj") == nil)
        #expect(b64("YQ==é") == nil)  // ASCII is checked before decoding, not up to the padding
        #expect(DuoWeb.pythonIntIsAfter(" +1_700_000_001\n", now: Self.now) == true)
        #expect(DuoWeb.pythonIntIsAfter("١٧٠٠٠٠٠٠٠١", now: Self.now) == true)
        #expect(DuoWeb.pythonIntIsAfter("1700000000", now: Self.now) == false)
        #expect(DuoWeb.pythonIntIsAfter(Substring(String(repeating: "9", count: 40)), now: .max) == true)
        #expect(DuoWeb.pythonIntIsAfter(Substring("-" + String(repeating: "9", count: 40)), now: .min) == false)
        #expect(DuoWeb.pythonIntIsAfter(Substring(String(repeating: "1_", count: 4299) + "1"), now: 0) == true)
        let tooLong = String(repeating: "1", count: 4301)
        for bad in ["", "+", "1__0", "_1", "1_", "0x10", "- 1", "1 0", tooLong] {
            #expect(DuoWeb.pythonIntIsAfter(Substring(bad), now: 0) == nil, "\(bad)")
        }
    }
}

// MARK: - Against duo-web

extension DuoWebTests {
    struct SignCase: Codable, Sendable {
        var ikey: String, skey: String, akey: String, user: String, now: Int64, enroll: Bool
    }
    struct VerifyCase: Codable, Sendable {
        var response: String, now: Int64, enroll: Bool
    }
    /// A cookie whose payload (`b64`, sent as is) duo_web's `_sign_vals` would never write, signed
    /// with `key` the way `_sign_vals` signs.
    struct RawCookie: Codable, Sendable {
        var prefix: String, key: String, b64: String
    }
    struct Request: Codable, Sendable {
        var sign: [SignCase] = []
        var verify: [VerifyCase] = []
        var frame: [SignCase] = []  // AUTH (or ENROLL) cookie by `_sign_vals` + APP cookie of `sign_request`
        var raw: [RawCookie] = []
        var b64: [String] = []
    }
    struct Answer: Codable, Sendable {
        var sign: [String]
        var verify: [String?]
        var frame: [String]
        var raw: [String]
        var b64: [String?]
    }

    static let script = #"""
        import base64, binascii, hmac, hashlib, json, sys, types, warnings
        warnings.simplefilter("ignore")
        import duo_web

        IKEY, SKEY, AKEY = sys.argv[1:4]

        def at(now):
            duo_web.time = types.SimpleNamespace(time=lambda: now + 0.75)  # int(time.time()) truncates

        req = json.load(sys.stdin)
        out = {"sign": [], "verify": [], "frame": [], "raw": [], "b64": []}
        for c in req["sign"]:
            at(c["now"])
            f = duo_web.sign_enroll_request if c["enroll"] else duo_web.sign_request
            out["sign"].append(f(c["ikey"], c["skey"], c["akey"], c["user"]))
        for c in req["verify"]:
            at(c["now"])
            f = duo_web.verify_enroll_response if c["enroll"] else duo_web.verify_response
            out["verify"].append(f(IKEY, SKEY, AKEY, c["response"]))
        for c in req["frame"]:
            at(c["now"])
            request = duo_web.sign_request(c["ikey"], c["skey"], c["akey"], c["user"])
            prefix = duo_web.ENROLL_PREFIX if c["enroll"] else duo_web.AUTH_PREFIX
            duo = duo_web._sign_vals(c["skey"], [c["user"], c["ikey"]], prefix, duo_web.DUO_EXPIRE)
            out["frame"].append(duo + ":" + request.split(":")[1])
        for c in req["raw"]:
            cookie = c["prefix"] + "|" + c["b64"]
            out["raw"].append(cookie + "|" + duo_web._hmac_sha1(c["key"].encode(), cookie.encode()))
        for s in req["b64"]:
            try:
                out["b64"].append(base64.b64decode(s).hex())
            except (binascii.Error, ValueError):
                out["b64"].append(None)
        print(json.dumps(out))
        """#

    static func duoWeb(_ request: Request) async throws -> Answer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-duoweb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("duo_web_vectors.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let result = try await PeerProcess.run(try Peers.python(), [script.path, ikey, skey, akey],
                                               stdin: try JSONEncoder().encode(request))
        guard result.status == 0 else { throw PeerMissing(peer: "duo-web failed: \(result.stderr)") }
        return try JSONDecoder().decode(Answer.self, from: Data(result.stdout.utf8))
    }

    static let usernames = ["testuser", "José", "Jose\u{301}", "用户", "🔐 emoji", "a:b", "with space", "x",
                            "tab\tnewline\n", "\u{0}nul", String(repeating: "long", count: 200)]

    static func signCases() -> [SignCase] {
        var cases: [SignCase] = []
        let keys = [(ikey, skey, akey), ("DIé23456789012345678", String(repeating: "ñ", count: 40), akey + "-longer-is-fine")]
        for (index, user) in usernames.enumerated() {
            for (ikey, skey, akey) in keys {
                for enroll in [false, true] {
                    cases.append(SignCase(ikey: ikey, skey: skey, akey: akey, user: user,
                                          now: now + Int64(index) * 7919, enroll: enroll))
                }
            }
        }
        for testCase in errorCases {
            cases.append(SignCase(ikey: testCase.ikey, skey: testCase.skey, akey: testCase.akey, user: testCase.user,
                                  now: now, enroll: false))
        }
        return cases
    }

    static func swiftSign(_ testCase: SignCase) -> String {
        do {
            return try testCase.enroll
                ? DuoWeb.signEnrollRequest(integrationKey: testCase.ikey, secretKey: testCase.skey,
                                               applicationKey: testCase.akey, username: testCase.user, now: testCase.now)
                : DuoWeb.signRequest(integrationKey: testCase.ikey, secretKey: testCase.skey,
                                         applicationKey: testCase.akey, username: testCase.user, now: testCase.now)
        } catch {
            return error.errorResponse ?? "no ERR string"
        }
    }

    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(1)))
    func signRequestMatchesDuoWeb() async throws {
        let cases = Self.signCases()
        let answer = try await Self.duoWeb(Request(sign: cases))
        #expect(answer.sign.count == cases.count)
        for (testCase, python) in zip(cases, answer.sign) {
            #expect(Self.swiftSign(testCase) == python, "\(testCase)")
        }
    }

    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(1)))
    func responsesVerifyBothWays() async throws {
        // Responses built by us (Duo's frame played in Swift), checked by duo_web at several times.
        var verify: [VerifyCase] = []
        var expected: [String?] = []
        for user in Self.usernames {
            for enroll in [false, true] {
                let request = try enroll
                    ? DuoWeb.signEnrollRequest(integrationKey: Self.ikey, secretKey: Self.skey,
                                                   applicationKey: Self.akey, username: user, now: Self.now)
                    : Self.sign(user)
                let prefix = enroll ? DuoWeb.enrollPrefix : DuoWeb.authenticationPrefix
                let response = try Self.frameResponse(to: request, user: user, prefix: prefix, at: Self.now + 60)
                for (offset, valid) in [(0, true), (359, true), (360, false)] as [(Int64, Bool)] {
                    for checkEnroll in [false, true] {
                        verify.append(VerifyCase(response: response, now: Self.now + offset, enroll: checkEnroll))
                        expected.append(valid && checkEnroll == enroll ? user : nil)
                    }
                }
            }
        }
        // Responses built by duo_web, checked by us.
        let frames = Self.usernames.flatMap { user in
            [false, true].map { SignCase(ikey: Self.ikey, skey: Self.skey, akey: Self.akey, user: user, now: Self.now,
                                         enroll: $0) }
        }
        let answer = try await Self.duoWeb(Request(verify: verify, frame: frames))
        for (index, testCase) in verify.enumerated() {
            #expect(answer.verify[index] == expected[index], "\(testCase)")
            let swift = testCase.enroll
                ? Self.verifyEnroll(testCase.response, at: testCase.now)
                : Self.verify(testCase.response, at: testCase.now)
            #expect(swift == expected[index], "\(testCase)")
        }
        for (testCase, response) in zip(frames, answer.frame) {
            #expect((testCase.enroll ? Self.verifyEnroll(response) : Self.verify(response)) == testCase.user)
            #expect((testCase.enroll ? Self.verify(response) : Self.verifyEnroll(response)) == nil)
            #expect((testCase.enroll ? Self.verifyEnroll(response, at: Self.now + 300)
                        : Self.verify(response, at: Self.now + 300)) == nil)
        }
    }

    /// The same verdict as duo_web on every tampered, cut, swapped or garbage response.
    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(2)))
    func rejectionsMatchDuoWeb() async throws {
        let response = try Self.frameResponse(to: try Self.sign())
        let enrolled = try Self.frameResponse(to: try Self.sign(), prefix: DuoWeb.enrollPrefix)
        let cookies = response.split(separator: ":").map(String.init)
        var candidates = Self.mutations(of: response) + Self.garbage
        candidates += [response, enrolled, cookies[0], cookies[1], cookies[1] + ":" + cookies[0], response + ":"]
        var verify: [VerifyCase] = []
        for candidate in candidates {
            for enroll in [false, true] {
                verify.append(VerifyCase(response: candidate, now: Self.now + 1, enroll: enroll))
            }
        }
        let answer = try await Self.duoWeb(Request(verify: verify))
        var accepted = 0
        for (testCase, python) in zip(verify, answer.verify) {
            let swift = testCase.enroll ? Self.verifyEnroll(testCase.response, at: testCase.now)
                : Self.verify(testCase.response, at: testCase.now)
            #expect(swift == python, "\(testCase)")
            if python != nil { accepted += 1 }
        }
        #expect(accepted == 2)  // the untouched AUTH response and the untouched ENROLL response
    }

    /// Cookies whose payload duo_web never writes but, once correctly signed, reads leniently:
    /// Python's `b64decode` and `int()` corners, extra or missing values, bytes that are not UTF-8.
    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(1)))
    func correctlySignedOddPayloadsMatchDuoWeb() async throws {
        func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        let tail = "|\(Self.ikey)|1700000100"
        let payloads: [String] = [
            b64("u" + tail), b64("u" + tail) + "\n", " " + b64("u" + tail), b64("u" + tail) + "==garbage",
            String(b64("u" + tail).dropLast(1)), b64("u" + tail) + "!!!", "*" + b64("u" + tail),
            b64("u|\(Self.ikey)| +1_700_000_100\t"), b64("u|\(Self.ikey)|١٧٠٠٠٠٠١٠٠"), b64("u|\(Self.ikey)|1700000001"),
            b64("u|\(Self.ikey)|1700000000"), b64("u|\(Self.ikey)|\(String(repeating: "9", count: 30))"),
            b64("u|\(Self.ikey)|-\(String(repeating: "9", count: 30))"), b64("u|\(Self.ikey)|0x10"),
            b64("u|\(Self.ikey)|" + String(repeating: "9", count: 4300)),
            b64("u|\(Self.ikey)|" + String(repeating: "9", count: 4301)),
            b64("u|\(Self.ikey)|"), b64("u|\(Self.ikey)|1__7"), b64("u|\(Self.ikey)"), b64("u|x|\(Self.ikey)|1700000100"),
            b64("|\(Self.ikey)|1700000100"), b64("u|\(Self.ikey.lowercased())|1700000100"),
            Data([0x75, 0xFF] + Array(tail.utf8)).base64EncodedString(),
            Data([0x75, 0xED, 0xA0, 0x80] + Array(tail.utf8)).base64EncodedString(),  // an encoded surrogate
            Data([0x75, 0xC0, 0xAF] + Array(tail.utf8)).base64EncodedString(),  // overlong '/'
            "", "=", "é",
        ]
        var raw: [RawCookie] = []
        for payload in payloads {
            raw.append(RawCookie(prefix: DuoWeb.authenticationPrefix, key: Self.skey, b64: payload))
            raw.append(RawCookie(prefix: DuoWeb.applicationPrefix, key: Self.akey, b64: payload))
        }
        let b64Strings = payloads + [
            "YWJj", "YW Jj", "YQ==YQ==", "YQ=", "YQ", "YQ=x=", "Y===", "YWJ=", "=YWJj", "Y=Q==", "YQ=Q=", "YQ=WJjY=",
            "YQ=WJjY==", "YQ==WJjY=", "====", "YWJjZ", "\u{1F510}", "YQ==é", "YQ==\u{0}",
        ]
        let signed = try await Self.duoWeb(Request(raw: raw, b64: b64Strings))
        for (text, python) in zip(b64Strings, signed.b64) {
            let swift = DuoWeb.pythonBase64Decode(Substring(text).utf8)
            #expect(swift.map { $0.map { String(format: "%02x", $0) }.joined() } == python, "\(text)")
        }
        // Pair each odd cookie with a good one of the other kind, both ways round.
        let goodAuth = try DuoWeb.signedCookie(prefix: "AUTH", key: Self.skey, username: "u", integrationKey: Self.ikey,
                                               now: Self.now, lifetime: 300)
        let goodApp = try DuoWeb.signedCookie(prefix: "APP", key: Self.akey, username: "u", integrationKey: Self.ikey,
                                              now: Self.now, lifetime: 300)
        var verify: [VerifyCase] = []
        for pair in signed.raw.chunked(by: 2) {
            verify.append(VerifyCase(response: pair[0] + ":" + goodApp, now: Self.now + 1, enroll: false))
            verify.append(VerifyCase(response: goodAuth + ":" + pair[1], now: Self.now + 1, enroll: false))
            verify.append(VerifyCase(response: pair[0] + ":" + pair[1], now: Self.now + 1, enroll: false))
            verify.append(VerifyCase(response: pair[0] + ":" + pair[1], now: Self.now + 100, enroll: false))
        }
        let answer = try await Self.duoWeb(Request(verify: verify))
        var accepted = 0
        for (testCase, python) in zip(verify, answer.verify) {
            #expect(Self.verify(testCase.response, at: testCase.now) == python, "\(testCase)")
            if python != nil { accepted += 1 }
        }
        #expect(accepted > 10)  // the lenient corners are really exercised, not all rejected
    }
}

extension Array {
    fileprivate func chunked(by size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
