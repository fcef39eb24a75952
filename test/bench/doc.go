// Package bench holds Gantry's benchmarks. They start the real server and are run by `make bench`, never by
// `make test`. Figures and the commands that produced them are recorded in docs/performance.md.
//
// It measures only; it does not test correctness (test/e2e and the unit tests do) and starts servers with
// test/harness.
package bench
