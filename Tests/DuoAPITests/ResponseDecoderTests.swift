import DuoAPI
import Testing

/// Duo's answers become typed results, and every other answer a classified failure.
@Suite struct ResponseDecoderTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func preauthResultsAreTyped() throws {
        let auth = try DuoResponseDecoder.preauth(status: 200, body: Self.bytes("""
            {"stat":"OK","response":{"result":"auth","status_msg":"Account is active","devices":[
            {"device":"DPFZRS9FB0D46QFTM899","type":"phone","number":"XXX-XXX-0100","name":"",
             "capabilities":["auto","push","sms","phone","mobile_otp"]}]}}
            """))
        guard case .auth(let devices, let message) = auth else { Issue.record("\(auth)"); return }
        #expect(message == "Account is active")
        #expect(devices.first?.capabilities.contains("push") == true)
        #expect(try DuoResponseDecoder.preauth(status: 200, body: Self.bytes(#"{"stat":"OK","response":{"result":"allow","status_msg":"Allowing unknown user"}}"#))
            == .allow(message: "Allowing unknown user"))
        #expect(try DuoResponseDecoder.preauth(status: 200, body: Self.bytes(#"{"stat":"OK","response":{"result":"deny","status_msg":"Access denied"}}"#))
            == .deny(message: "Access denied"))
        #expect(try DuoResponseDecoder.preauth(status: 200, body: Self.bytes(
            #"{"stat":"OK","response":{"result":"enroll","status_msg":"Enroll an authentication device to proceed","enroll_portal_url":"https://api-x.duosecurity.com/portal?code=1"}}"#))
            == .enroll(message: "Enroll an authentication device to proceed", portalURL: "https://api-x.duosecurity.com/portal?code=1"))
    }

    @Test func authProgressIsTyped() throws {
        #expect(try DuoResponseDecoder.auth(status: 200, body: Self.bytes(#"{"stat":"OK","response":{"txid":"45f7c92b"}}"#))
            == .started(txid: "45f7c92b"))
        #expect(try DuoResponseDecoder.auth(status: 200, body: Self.bytes(
            #"{"stat":"OK","response":{"result":"waiting","status":"pushed","status_msg":"Pushed a login request to your device..."}}"#))
            == .waiting(status: "pushed", message: "Pushed a login request to your device..."))
        #expect(try DuoResponseDecoder.auth(status: 200, body: Self.bytes(
            #"{"stat":"OK","response":{"result":"allow","status":"allow","status_msg":"Success. Logging you in..."}}"#))
            == .done(.allow(message: "Success. Logging you in...")))
        #expect(try DuoResponseDecoder.auth(status: 200, body: Self.bytes(
            #"{"stat":"OK","response":{"result":"deny","status":"fraud","status_msg":"Login request reported as fraudulent."}}"#))
            == .done(.deny(message: "Login request reported as fraudulent.", status: "fraud")))
    }

    @Test(arguments: [
        (401, #"{"stat":"FAIL","code":40103,"message":"Invalid signature in request credentials"}"#, DuoFailure.Kind.clientError, DuoFailure.FailmodeClass.refused),
        (400, #"{"stat":"FAIL","code":40002,"message":"Invalid request parameters","message_detail":"username"}"#, .clientError, .refused),
        (429, #"{"stat":"FAIL","code":42901,"message":"Too Many Requests"}"#, .clientError, .refused),
        (500, #"{"stat":"FAIL","code":50000,"message":"Internal error"}"#, .serverError, .unavailable),
        (503, "<html>Service Unavailable</html>", .serverError, .unavailable),
        (200, "<html>captive portal</html>", .unreadableBody, .refused),
        (200, #"{"stat":"OK"}"#, .unreadableBody, .refused),
        (200, #"{"stat":"OK","response":{"result":"maybe"}}"#, .unreadableBody, .refused),
        (302, "", .unreadableBody, .refused),
    ] as [(Int, String, DuoFailure.Kind, DuoFailure.FailmodeClass)])
    func everyOtherAnswerIsAClassifiedFailure(_ status: Int, _ body: String, _ kind: DuoFailure.Kind, _ failmode: DuoFailure.FailmodeClass) {
        do {
            _ = try DuoResponseDecoder.preauth(status: status, body: Self.bytes(body))
            Issue.record("no failure for HTTP \(status) \(body)")
        } catch {
            #expect(error.kind == kind)
            #expect(error.failmodeClass == failmode)
            #expect(error.httpStatus == status)
            #expect(!error.diagnostic.isEmpty)
        }
    }

    @Test func duoErrorCodesAreKept() {
        do {
            _ = try DuoResponseDecoder.time(status: 401, body: Self.bytes(
                #"{"stat":"FAIL","code":40103,"message":"Invalid signature in request credentials"}"#), endpoint: "/auth/v2/check")
        } catch {
            #expect(error.duoCode == 40103)
            #expect(error.duoMessage == "Invalid signature in request credentials")
            #expect(error.diagnostic == "Duo refused /auth/v2/check with HTTP 401: 40103 Invalid signature in request credentials (check ikey, skey and api_host, and this machine's clock)")
        }
    }

    @Test func authRequestParametersNeverCarryAPasscodeIntoTheDescription() {
        let request = DuoAuthRequest(username: "alice", factor: .passcode("123456"), ipAddress: "192.0.2.7")
        #expect(request.parameters == ["username": "alice", "factor": "passcode", "passcode": "123456", "ipaddr": "192.0.2.7"])
        #expect(request.factor.description == "passcode")
        let push = DuoAuthRequest(username: "alice", factor: .push, device: "phone2", pushInfo: "from=vpn")
        #expect(push.parameters == ["username": "alice", "factor": "push", "device": "phone2", "async": "1", "pushinfo": "from=vpn"])
    }
}
