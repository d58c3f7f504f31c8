func runRADIUSBenchmarks() {}
