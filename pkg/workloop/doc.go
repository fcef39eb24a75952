// Package workloop runs the workers of Gantry's controllers: take a key from a rate-limited queue, process it,
// and put it back when processing asks for it (Again) or fails. Every controller of the server serves all
// workspaces with one such loop.
//
// It does not fill queues or decide what a key means: each controller names its own waits (for example
// pkg/workspace's errWaitForIndex and pkg/apibinding's errWaitForIdentity).
package workloop
