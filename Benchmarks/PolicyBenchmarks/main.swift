// Filled in by the policy engine and the local users file.
print("PolicyBenchmarks: nothing to measure yet")
