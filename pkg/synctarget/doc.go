// Package synctarget keeps the server's side of every SyncTarget's status: the Ready condition, which follows the
// heartbeats its gantry-syncer writes, and the URL of its syncer virtual workspace. One controller serves every
// workspace from the server's wildcard index of SyncTargets.
package synctarget
