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

// Run Swift concurrency on NIO's event loops, so that an HTTP call resumes on the loop that read
// its answer instead of hopping to another thread (what a server process of twofold does too).
let onEventLoops = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let seconds = arguments.first ?? 10
let concurrency = arguments.count > 1 ? arguments[1] : 64
let ikey = "DIBENCHMARK000000000"
let skey = String(repeating: "k", count: 40)

func threadCount() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }
    return Int(line?.split(separator: "\t").last ?? "") ?? -1
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
let deadline = clock.now + .seconds(seconds)
let started = clock.now
let logins = try await withThrowingTaskGroup(of: Int.self) { group in
    for _ in 0..<concurrency {
        group.addTask {
            var count = 0
            while clock.now < deadline {
                guard case .auth = try await client.preauth(username: "bench", ipAddress: "192.0.2.7") else { fatalError("preauth") }
                guard case .allow = try await client.auth(DuoAuthRequest(username: "bench", factor: .passcode("123456"))) else {
                    fatalError("auth")
                }
                count += 1
            }
            return count
        }
    }
    var total = 0
    for try await count in group { total += count }
    return total
}
let elapsed = clock.now - started
let perSecond = Double(logins) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
let requests = server.stats().endpoints.values.reduce(0) { $0 + $1.requests }
print(String(format: "logins (preauth + auth):  %8.0f per second  (%d logins, %d HTTP requests, concurrency %d)",
             perSecond, logins, requests, concurrency))

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
