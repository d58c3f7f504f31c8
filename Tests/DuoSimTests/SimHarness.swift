import AsyncHTTPClient
import DuoAPI
import DuoSim
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A simulator in process with the test users, and a client that signs as duo_client does.
struct SimHarness {
    static let ikey = "DIWJ8X6AEYOR5OMC6TQ1"
    static let skey = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
    static let otherIkey = "DIOTHER0000000000000"
    static let otherSkey = "other-secret-key-0000000000000000000000"
    static let totpSecret = "JBSWY3DPEHPK3PXP"

    static let users = DuoSimUsers(
        users: [
            "alice": DuoSimUser(userID: "DUALICE00000000000001", push: .approve, pushDelayMilliseconds: 300,
                                passcodes: ["123456"]),
            "bob": DuoSimUser(push: .deny, pushDelayMilliseconds: 100),
            "carol": DuoSimUser(push: .never),
            "dave": DuoSimUser(preauth: .allow, devices: []),
            "erin": DuoSimUser(preauth: .deny, devices: []),
            "frank": DuoSimUser(devices: [DuoDevice(device: "DPTOKEN", type: "token", capabilities: ["mobile_otp"])],
                                totp: TOTP(base32: totpSecret)),
            "slow": DuoSimUser(push: .approve, pushDelayMilliseconds: 2_500),
            // Long enough that a loaded machine still polls before the answer, short enough for a test.
            "steady": DuoSimUser(push: .approve, pushDelayMilliseconds: 8_000),
            "held": DuoSimUser(push: .approve, pushDelayMilliseconds: 45_000),  // long: slow CI machines still sample "waiting"
        ],
        defaultUser: .enrollDefault)

    let server: DuoSimServer
    let client: HTTPClient

    static func start(
        tls: Bool = false, pushTimeout: Duration = .seconds(1), skew: Duration = .seconds(300), connections: Int = 8
    ) async throws -> SimHarness {
        let server = try await DuoSimServer.start(DuoSimConfiguration(
            integrations: [ikey: skey, otherIkey: otherSkey], users: users, tls: tls ? .selfSigned : .none,
            allowedClockSkew: skew, pushTimeout: pushTimeout))
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        // Also how long a request may wait for a pooled connection: tests queue hundreds behind a
        // few connections on loaded machines.
        configuration.timeout.connect = .seconds(30)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connections
        if tls, let pem = server.caCertificatePEM {
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            tlsConfiguration.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)])
            tlsConfiguration.minimumTLSVersion = .tlsv12
            configuration.tlsConfiguration = tlsConfiguration
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        return SimHarness(server: server, client: client, tls: tls)
    }

    let tls: Bool

    /// Runs `body` against a fresh simulator and stops it afterwards, whatever happens.
    static func with<T>(
        tls: Bool = false, pushTimeout: Duration = .seconds(1), skew: Duration = .seconds(300), connections: Int = 8,
        _ body: (SimHarness) async throws -> T
    ) async throws -> T {
        let sim = try await start(tls: tls, pushTimeout: pushTimeout, skew: skew, connections: connections)
        do {
            let result = try await body(sim)
            await sim.shutdown()
            return result
        } catch {
            await sim.shutdown()
            throw error
        }
    }

    init(server: DuoSimServer, client: HTTPClient, tls: Bool) {
        self.server = server
        self.client = client
        self.tls = tls
    }

    func shutdown() async {
        try? await client.shutdown()
        await server.stop()
    }

    var baseURL: String { "\(tls ? "https" : "http")://127.0.0.1:\(server.port)" }

    struct Answer {
        var status: Int
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        var response: [String: Any] { json["response"] as? [String: Any] ?? [:] }
        var code: Int? { json["code"] as? Int }
    }

    /// A request signed with signature v5 (JSON body for POST, query for GET), as duo_client sends it.
    func signed(
        _ method: HTTPMethod, _ path: String, _ parameters: [String: String] = [:],
        ikey: String = SimHarness.ikey, skey: String = SimHarness.skey,
        date: String = DuoDate.format(secondsSince1970: Int64(Date().timeIntervalSince1970))
    ) -> HTTPClientRequest {
        let isPost = method == .POST
        let body = isPost ? DuoCanonicalJSON.encode(parameters) : []
        let query = isPost ? "" : parameters.isEmpty ? "" : "?" + parameters
            .map { "\(DuoSignature.percentEncode($0.key))=\(DuoSignature.percentEncode($0.value))" }
            .joined(separator: "&")
        let signedRequest = DuoSignedRequest(method: method.rawValue, host: "127.0.0.1", path: path,
                                             parameters: isPost ? [:] : parameters, date: date, body: body)
        var request = HTTPClientRequest(url: baseURL + path + query)
        request.method = method
        request.headers.add(name: "Date", value: date)
        request.headers.add(name: "Authorization", value: DuoSignature.authorization(
            integrationKey: ikey, secretKey: skey, request: signedRequest, version: .v5))
        if isPost {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    func plain(_ method: HTTPMethod, _ path: String, body: String? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        return request
    }

    func send(_ request: HTTPClientRequest, timeout: TimeAmount = .seconds(10)) async throws -> Answer {
        let response = try await client.execute(request, deadline: .now() + timeout)
        let body = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: body))
    }
}
