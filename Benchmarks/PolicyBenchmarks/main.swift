// `swift run -c release PolicyBenchmarks`: what the policy engine and the primary authenticators
// cost. Each part is a function in its own file; run them in order.

await runPolicyEngineBenchmark()
print("")
try await runLocalUsersBenchmark()
