// `swift run -c release PolicyBenchmarks`
await runPolicyEngineBenchmark()
