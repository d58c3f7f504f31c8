import DuoAPI
import DuoSim
import Foundation
import NIOCore
import NIOPosix

// `swift run -c release DuoBenchmarks [seconds] [concurrency]`
//
// 1. Logins per second: preauth + auth (passcode; async=1 then auth_status) from the DuoAPI client
//    to the simulator over TLS with pooled keep-alive connections, both in this process.
// 2. Pending pushes: 1,000 pushes whose user answers after 10 s, all in flight at once; reports the
//    simulator's pending count, the threads of the process, and when they all completed.
//
// `swift run -c release DuoBenchmarks [seconds] [concurrency] floor`: the floor under figure 1 instead
// (TransportFloor.swift), against a server that answers fixed bytes over TLS: the same client;
// AsyncHTTPClient alone sending one prepared POST; a client of bare swift-nio handlers. Per login
// (two exchanges), so that the three compare with figure 1.

// Run Swift concurrency on NIO's event loops, so that an HTTP call resumes on the loop that read
// its answer instead of hopping to another thread (what a server process of twofold does too).
let onEventLoops = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let seconds = arguments.first ?? 10
let concurrency = arguments.count > 1 ? arguments[1] : 64
let floorOnly = CommandLine.arguments.dropFirst().contains("floor")
let ikey = "DIBENCHMARK000000000"
let skey = String(repeating: "k", count: 40)

func threadCount() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }
    return Int(line?.split(separator: "\t").last ?? "") ?? -1
}

/// CPU seconds (user + system) this process has used.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Closed-loop preauth + auth (passcode) logins from `client` on `concurrency` tasks for `seconds`;
/// also the process's CPU per login (client and server together), steadier than the rate on a
/// shared machine.
func loginsPerSecond(_ client: DuoClient) async throws -> (perSecond: Double, logins: Int, cpuMicroseconds: Double) {
    let cpuBefore = processCPUSeconds()
    let (perSecond, logins) = try await closedLoop(concurrency: concurrency, seconds: seconds) {
        guard case .auth = try await client.preauth(username: "bench", ipAddress: "192.0.2.7") else { fatalError("preauth") }
        guard case .allow = try await client.auth(DuoAuthRequest(username: "bench", factor: .passcode("123456"))) else {
            fatalError("auth")
        }
    }
    return (perSecond, logins, (processCPUSeconds() - cpuBefore) * 1e6 / Double(max(logins, 1)))
}

if floorOnly {
    let group = MultiThreadedEventLoopGroup.singleton
    let canned = try await CannedDuoServer.start(group: group)
    let port = canned.channel.localAddress?.port ?? 0
    print("duo transport floor: a server of fixed answers over TLS on 127.0.0.1:\(port), \(ProcessInfo.processInfo.activeProcessorCount) cores, concurrency \(concurrency)")
    let configuration = DuoClientConfiguration(
        integrationKey: ikey, secretKey: skey, apiHost: "127.0.0.1", apiPort: port,
        trustRoots: .pem(canned.caPEM), apiTimeout: .seconds(30), authTimeout: .seconds(60))
    let client = try DuoClient(configuration: configuration)
    let duo = try await loginsPerSecond(client)
    print(String(format: "DuoClient (AsyncHTTPClient), preauth + auth: %6.0f logins per second, %4.0f µs of CPU each",
                 duo.perSecond, duo.cpuMicroseconds))
    try await client.shutdown()
    var cpuBefore = processCPUSeconds()
    let bare = try await asyncHTTPClientExchangesPerSecond(configuration, concurrency: concurrency, seconds: seconds)
    print(String(format: "AsyncHTTPClient, one prepared POST twice:    %6.0f logins per second, %4.0f µs of CPU each",
                 bare / 2, (processCPUSeconds() - cpuBefore) * 1e6 / (bare / 2 * Double(seconds))))
    cpuBefore = processCPUSeconds()
    let raw = try await rawExchangesPerSecond(group: group, port: port, caPEM: canned.caPEM, concurrency: concurrency, seconds: seconds)
    print(String(format: "bare swift-nio client, one POST twice:       %6.0f logins per second, %4.0f µs of CPU each",
                 raw / 2, (processCPUSeconds() - cpuBefore) * 1e6 / (raw / 2 * Double(seconds))))
    try await canned.channel.close().get()
    exit(0)
}

let users = DuoSimUsers(users: [
    "bench": DuoSimUser(push: .approve, pushDelayMilliseconds: 0, passcodes: ["123456"]),
    "held": DuoSimUser(push: .approve, pushDelayMilliseconds: 10_000),
])
let server = try await DuoSimServer.start(DuoSimConfiguration(
    integrations: [ikey: skey], users: users, tls: .selfSigned, pushTimeout: .seconds(60)))
let client = try DuoClient(configuration: DuoClientConfiguration(
    integrationKey: ikey, secretKey: skey, apiHost: "127.0.0.1", apiPort: server.port,
    trustRoots: .pem(server.caCertificatePEM ?? ""), apiTimeout: .seconds(30), authTimeout: .seconds(60)))

print("duo benchmarks: client -> simulator over TLS on 127.0.0.1:\(server.port), \(ProcessInfo.processInfo.activeProcessorCount) cores, concurrency on event loops: \(onEventLoops)")

// 1. Logins per second.
let clock = ContinuousClock()
let (perSecond, logins, cpuPerLogin) = try await loginsPerSecond(client)
let requests = server.stats().endpoints.values.reduce(0) { $0 + $1.requests }
print(String(format: "logins (preauth + auth):  %8.0f per second  (%d logins, %d HTTP requests, concurrency %d), %.0f µs of CPU each (client and simulator)",
             perSecond, logins, requests, concurrency, cpuPerLogin))

// 2. 1,000 pushes pending at once.
let pushStart = clock.now
let threadsBefore = threadCount()
async let held: [DuoAuthResult] = withThrowingTaskGroup(of: DuoAuthResult.self) { group in
    for _ in 0..<1_000 { group.addTask { try await client.auth(DuoAuthRequest(username: "held", factor: .push)) } }
    var results: [DuoAuthResult] = []
    for try await result in group { results.append(result) }
    return results
}
var peakPending = 0
var peakThreads = threadsBefore
while clock.now - pushStart < .seconds(9) {
    peakPending = max(peakPending, server.stats().pendingPushes)
    peakThreads = max(peakThreads, threadCount())
    try await Task.sleep(for: .milliseconds(250))
}
let results = try await held
let allowed = results.filter { if case .allow = $0 { true } else { false } }.count
print("pushes pending at once:   \(peakPending) (1,000 sent, user answers after 10 s); threads before \(threadsBefore), peak \(peakThreads)")
print("pushes completed:         \(allowed) allowed after \(clock.now - pushStart)")

try await client.shutdown()
await server.stop()
