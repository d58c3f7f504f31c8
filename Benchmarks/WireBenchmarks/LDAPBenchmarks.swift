func runLDAPBenchmarks() {}
