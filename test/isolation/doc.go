// Package isolation fuzzes the path from a request URL to a storage key: whatever the URL, a request may only ever
// touch the storage of the one workspace its URL names, and a URL naming no valid workspace touches nothing.
//
// It tests routing and storage together in-process; the behaviour under test lives in pkg/routing and
// pkg/clusterstore.
package isolation
