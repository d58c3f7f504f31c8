import DuoAPI
import Foundation
import TestSupport
import Testing

/// Request signatures, the JSON body and the Date header against Duo's own Python client
/// (`duo-client` from PyPI), for the same inputs.
@Suite struct SignatureVectorTests {
    struct Case: Codable, Sendable {
        var method: String
        var host: String
        var path: String
        var params: [String: String]
        var date: String
        var version: Int
        var digest: String
        var headers: [String: String]
    }

    struct Answer: Codable, Sendable {
        var canonical: String
        var authorization: String
        var body: String
        var date: String
    }

    static let ikey = "DIWJ8X6AEYOR5OMC6TQ1"
    static let skey = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"

    static let cases: [Case] = {
        let awkward = [
            "username": "José Ñandú", "ipaddr": "192.0.2.7", "factor": "auto",
            "pushinfo": "from=vpn&ip=192.0.2.7", "display_username": "a b+c/d~e*f'g(h)i!",
            "device": "DP~1 2+3/4", "emoji": "🔐 ok", "empty": "",
        ]
        var all: [Case] = []
        for version in [2, 4, 5] {
            for method in ["GET", "POST"] {
                for digest in version == 2 ? ["sha1", "sha512"] : ["sha512"] {
                    all.append(Case(method: method, host: "API-XXXXXXXX.duosecurity.com", path: "/auth/v2/preauth",
                                    params: awkward, date: "Tue, 21 Aug 2012 17:29:18 -0000", version: version,
                                    digest: digest, headers: version == 5 ? ["X-Duo-Trace": "abc 123", "x-duo-b": "é"] : [:]))
                    all.append(Case(method: method, host: "api-xxxxxxxx.duosecurity.com", path: "/auth/v2/check",
                                    params: [:], date: "Wed, 01 Jan 2025 00:00:00 -0000", version: version,
                                    digest: digest, headers: [:]))
                }
            }
        }
        return all
    }()

    static let script = #"""
        import email.utils, hashlib, json, sys
        from duo_client import client

        out = []
        for case in json.load(sys.stdin):
            method, params, version = case["method"], case["params"], case["version"]
            digest = hashlib.sha1 if case["digest"] == "sha1" else hashlib.sha512
            body = None
            signed_params = client.normalize_params(params)
            if version in (4, 5):
                if method == "POST":
                    body = json.dumps(params, sort_keys=True, separators=(",", ":"))
                    signed_params = {}
                else:
                    body = ""
            canonical = client.canonicalize(method, case["host"], case["path"], signed_params, case["date"], version,
                                            body=body, additional_headers=case["headers"] or None)
            auth = client.sign(sys.argv[1], sys.argv[2], method, case["host"], case["path"], case["date"], version,
                               signed_params, body=body, digestmod=digest, additional_headers=case["headers"] or None)
            out.append({"canonical": canonical, "authorization": auth,
                        "body": json.dumps(params, sort_keys=True, separators=(",", ":")),
                        "date": email.utils.formatdate(1700000000 + len(out) * 86399 * 37)})
        print(json.dumps(out))
        """#

    static func duoClientAnswers() async throws -> [Answer] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-duo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("sign.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let input = try JSONEncoder().encode(cases)
        let result = try await PeerProcess.run(try Peers.python(), [script.path, ikey, skey], stdin: input)
        guard result.status == 0 else { throw PeerMissing(peer: "duo-client failed: \(result.stderr)") }
        return try JSONDecoder().decode([Answer].self, from: Data(result.stdout.utf8))
    }

    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(1)))
    func signaturesMatchDuoClient() async throws {
        let answers = try await Self.duoClientAnswers()
        #expect(answers.count == Self.cases.count)
        for (index, (testCase, answer)) in zip(Self.cases, answers).enumerated() {
            let version = try #require(DuoSignatureVersion(rawValue: testCase.version))
            let jsonBody = DuoCanonicalJSON.encode(testCase.params)
            #expect(String(decoding: jsonBody, as: UTF8.self) == answer.body)
            let inBody = version != .v2 && testCase.method == "POST"
            let request = DuoSignedRequest(
                method: testCase.method, host: testCase.host, path: testCase.path,
                parameters: inBody ? [:] : testCase.params, date: testCase.date,
                body: inBody ? jsonBody : [], duoHeaders: testCase.headers)
            #expect(DuoSignature.canonicalRequest(request, version: version) == answer.canonical, "case \(index)")
            let authorization = DuoSignature.authorization(
                integrationKey: Self.ikey, secretKey: Self.skey, request: request, version: version,
                digest: testCase.digest == "sha1" ? .sha1 : .sha512)
            #expect(authorization == answer.authorization, "case \(index)")

            // And the checking side (the simulator's) accepts it, and only with the right key.
            let credentials = try #require(DuoSignature.credentials(fromAuthorization: authorization))
            #expect(credentials.integrationKey == Self.ikey)
            #expect(DuoSignature.matchingVersion(signature: credentials.signature, secretKey: Self.skey, request: request) == version)
            #expect(DuoSignature.matchingVersion(signature: credentials.signature, secretKey: Self.skey + "x", request: request) == nil)
        }
    }

    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(1)))
    func datesMatchPythonsFormatdate() async throws {
        let answers = try await Self.duoClientAnswers()
        for (index, answer) in answers.enumerated() {
            let seconds = Int64(1_700_000_000 + index * 86399 * 37)
            #expect(DuoDate.format(secondsSince1970: seconds) == answer.date)
            #expect(DuoDate.parse(answer.date) == seconds)
        }
    }

    @Test func datesParseWithZones() {
        #expect(DuoDate.parse("Tue, 21 Aug 2012 17:29:18 -0000") == 1_345_570_158)
        #expect(DuoDate.parse("Tue, 21 Aug 2012 19:29:18 +0200") == 1_345_570_158)
        #expect(DuoDate.parse("Tue, 21 Aug 2012 17:29:18 GMT") == 1_345_570_158)
        #expect(DuoDate.parse("Tue, 21 Foo 2012 17:29:18 GMT") == nil)
        #expect(DuoDate.parse("yesterday") == nil)
        #expect(DuoDate.format(secondsSince1970: 0) == "Thu, 01 Jan 1970 00:00:00 -0000")
    }

    @Test func percentEncodingKeepsOnlyUnreservedCharacters() {
        #expect(DuoSignature.percentEncode("a b+c/d~e") == "a%20b%2Bc%2Fd~e")
        #expect(DuoSignature.percentEncode("é") == "%C3%A9")
        #expect(DuoSignature.canonicalParameters(["b": "2", "a": "1 1", "A": "x"]) == "A=x&a=1%201&b=2")
    }

    @Test func malformedAuthorizationHeadersAreNotCredentials() {
        for header in ["", "Basic", "Basic !!!", "Bearer abc", "Basic " + "bm9jb2xvbg=="] {  // "nocolon"
            #expect(DuoSignature.credentials(fromAuthorization: header) == nil, "\(header)")
        }
    }
}
