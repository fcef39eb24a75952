// Package isolation fuzzes the path from a request URL to a storage key: whatever the URL, a request may only ever
// touch the storage of the one workspace its URL names, and a URL naming no valid workspace touches nothing.
//
// It tests routing and storage together in-process; the behaviour under test lives in pkg/routing and
// pkg/clusterstore. FuzzSyncerView does the same for the syncer's virtual workspace (pkg/virtualworkspace): whatever
// the URL, the syncer allowed one SyncTarget reads only the ConfigMaps placed on it, of the workspace the URL names,
// and only the CRDs it supports there.
package isolation
