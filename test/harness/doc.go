// Package harness starts real Gantry servers for end-to-end tests and benchmarks, as a process of the built
// binary or in-process, and drives them with the real kubectl binary and client-go.
//
// It holds no tests or assertions about Gantry's behaviour: those live in test/e2e, test/bench and
// test/isolation.
package harness
