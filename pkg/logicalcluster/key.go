package logicalcluster

import "strings"

// Key names an object across workspaces: "<cluster>|<name>". It is the one form of such keys in queues, indexes
// and annotations (a workspace under its parent, a CRD, an APIExport).
func Key(cluster Name, name string) string { return string(cluster) + "|" + name }

// SplitKey reverses Key.
func SplitKey(key string) (Name, string) {
	c, n, _ := strings.Cut(key, "|")
	return Name(c), n
}
