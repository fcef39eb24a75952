// Package e2e holds Gantry's end-to-end tests: each starts the real gantry binary on embedded etcd (temporary data
// directory, free port) and drives it with the real kubectl binary and client-go.
package e2e
