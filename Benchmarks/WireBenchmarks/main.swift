// `swift run -c release WireBenchmarks`: nanoseconds per decode and encode of the wire formats.
// Speed goals are measured here, never asserted in timed tests.
print("twofold wire benchmarks (ns per operation, best of several rounds)")
runRADIUSBenchmarks()
runLDAPBenchmarks()
