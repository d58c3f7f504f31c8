import DuoAPI
import DuoSim
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The engine without sockets: requests are values, the clocks are arguments.
@Suite struct EngineTests {
    static let unixTime: Int64 = 1_700_000_000
    let engine = DuoSimEngine(configuration: DuoSimConfiguration(
        integrations: [SimHarness.ikey: SimHarness.skey], users: SimHarness.users, pushTimeout: .seconds(60)))

    /// A v2 request with a form body, signed for `signedHost` and sent with Host `hostHeader`.
    func formRequest(_ parameters: [String: String], path: String = "/auth/v2/auth", signedHost: String = "127.0.0.1",
                     hostHeader: String = "127.0.0.1:8443", digest: DuoSignatureDigest = .sha1) -> DuoSimRequest {
        let date = DuoDate.format(secondsSince1970: Self.unixTime)
        let signed = DuoSignedRequest(method: "POST", host: signedHost, path: path, parameters: parameters, date: date)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader)
        headers.add(name: "Date", value: date)
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        headers.add(name: "Authorization", value: DuoSignature.authorization(
            integrationKey: SimHarness.ikey, secretKey: SimHarness.skey, request: signed, version: .v2, digest: digest))
        let body = parameters.map { "\(DuoSignature.percentEncode($0.key))=\(DuoSignature.percentEncode($0.value))" }
            .joined(separator: "&")
        return DuoSimRequest(method: "POST", uri: path, headers: headers, body: Array(body.utf8))
    }

    func json(_ action: DuoSimAction) throws -> [String: Any] {
        guard case .respond(let response) = action else {
            Issue.record("expected an answer, got \(action)")
            return [:]
        }
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    @Test func aSynchronousPushIsADeadlineNotAWait() throws {
        let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let action = engine.handle(formRequest(["username": "alice", "factor": "push", "device": "auto"]),
                                   now: now, unixTime: Self.unixTime)
        guard case .awaitTransaction(let txid, let deadline) = action else {
            Issue.record("expected a pending push, got \(action)")
            return
        }
        #expect(deadline == now + .milliseconds(300))
        #expect(engine.stats(now: now).pendingPushes == 1)
        #expect(engine.stats(now: deadline).pendingPushes == 0)
        let answer = engine.finishSynchronous(txid: txid, now: deadline)
        #expect(answer.status == .ok)
        #expect(String(decoding: answer.body, as: UTF8.self).contains(#""result":"allow""#))
    }

    /// A signed v2 GET, its parameters in the query.
    func getRequest(_ parameters: [String: String], path: String) -> DuoSimRequest {
        let date = DuoDate.format(secondsSince1970: Self.unixTime)
        let signed = DuoSignedRequest(method: "GET", host: "127.0.0.1", path: path, parameters: parameters, date: date)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "127.0.0.1:8443")
        headers.add(name: "Date", value: date)
        headers.add(name: "Authorization", value: DuoSignature.authorization(
            integrationKey: SimHarness.ikey, secretKey: SimHarness.skey, request: signed, version: .v2, digest: .sha1))
        return DuoSimRequest(method: "GET", uri: path + "?" + DuoSignature.canonicalParameters(parameters), headers: headers, body: [])
    }

    /// Like Duo, `auth_status` long-polls: the first poll says `waiting` at once, later ones are
    /// held until the user answers (or the hold runs out), so a client does not poll in a loop.
    @Test func authStatusLongPollsAfterTheFirstWaiting() throws {
        let engine = DuoSimEngine(configuration: DuoSimConfiguration(
            integrations: [SimHarness.ikey: SimHarness.skey], users: SimHarness.users, authStatusHold: .seconds(1)))
        let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        for (user, answeredAt, expected) in [("alice", now + .milliseconds(300), "allow"), ("slow", now + .milliseconds(1) + .seconds(1), "waiting")] {
            let started = try json(engine.handle(formRequest(["username": user, "factor": "push", "async": "1"]),
                                                 now: now, unixTime: Self.unixTime))
            let txid = try #require((started["response"] as? [String: Any])?["txid"] as? String)
            // Shaped like Duo's: a lower-case UUID.
            #expect(txid.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/) != nil, "\(txid)")
            let status = getRequest(["txid": txid], path: "/auth/v2/auth_status")
            let first = try json(engine.handle(status, now: now, unixTime: Self.unixTime))
            #expect((first["response"] as? [String: Any])?["result"] as? String == "waiting", "\(user)")
            let second = engine.handle(status, now: now + .milliseconds(1), unixTime: Self.unixTime)
            guard case .awaitStatus(let held, let deadline) = second else {
                Issue.record("\(user): expected a held poll, got \(second)")
                continue
            }
            #expect(held == txid)
            #expect(deadline == answeredAt, "\(user): held until the answer or the 1 s hold")
            let answer = engine.finishStatus(txid: txid, now: deadline)
            #expect(String(decoding: answer.body, as: UTF8.self).contains(#""result":"\#(expected)""#), "\(user)")
        }
    }

    @Test func hostIsCheckedWithAndWithoutThePort() throws {
        for (signedHost, header) in [("127.0.0.1", "127.0.0.1:8443"), ("127.0.0.1:8443", "127.0.0.1:8443"),
                                     ("localhost", "LOCALHOST"), ("[::1]", "[::1]:8443")] {
            let body = try json(engine.handle(formRequest(["username": "alice", "factor": "passcode", "passcode": "123456"],
                                                          signedHost: signedHost, hostHeader: header, digest: .sha512),
                                              now: .now(), unixTime: Self.unixTime))
            #expect((body["response"] as? [String: Any])?["result"] as? String == "allow", "\(signedHost) / \(header)")
        }
        let elsewhere = try json(engine.handle(formRequest(["username": "alice"], path: "/auth/v2/preauth",
                                                           signedHost: "api-x.duosecurity.com"),
                                               now: .now(), unixTime: Self.unixTime))
        #expect(elsewhere["code"] as? Int == 40103)
    }

    @Test func faultsBecomeActions() {
        let request = formRequest(["username": "alice"], path: "/auth/v2/preauth")
        engine.addFault(.delay(milliseconds: 250, path: "/auth/v2/preauth"))
        #expect(engine.handle(request, now: .now(), unixTime: Self.unixTime) == .delay(.milliseconds(250)))
        if case .respond(let response) = engine.handle(request, now: .now(), unixTime: Self.unixTime, afterDelay: true) {
            #expect(response.status == .ok)
        } else {
            Issue.record("the delayed request was not answered")
        }
        engine.addFault(.down())
        #expect(engine.handle(request, now: .now(), unixTime: Self.unixTime) == .delay(.milliseconds(250)), "path wins")
        engine.clearFaults(path: "/auth/v2/preauth")
        #expect(engine.handle(request, now: .now(), unixTime: Self.unixTime) == .closeConnection)
        engine.addFault(.hang())
        #expect(engine.handle(request, now: .now(), unixTime: Self.unixTime) == .hang, "newest wins")
        engine.clearFaults()
        #expect(engine.faults().isEmpty)
    }
}
