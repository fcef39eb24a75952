package sdk

import "k8s.io/client-go/tools/cache"

// NoWatchList makes a list/watch that spans workspaces start with a classic LIST and WATCH instead of client-go's
// streaming "watch-list". The watch-list collects the initial objects in a temporary store keyed by
// namespace/name before handing them over, which collapses same-named objects of different workspaces into one.
//
// Embed it in anything client-go's watchlist package inspects: a cache.ListerWatcher handed to a reflector (see
// ListOnly), or the storage.Interface an apiserver cacher lists from.
type NoWatchList struct{}

// IsWatchListSemanticsUnSupported is read by client-go's watchlist package; it always reports true.
func (NoWatchList) IsWatchListSemanticsUnSupported() bool { return true }

// ListOnly returns lw made to start with a classic LIST (see NoWatchList). The context-aware list and watch of lw
// are kept when it has them.
func ListOnly(lw cache.ListerWatcher) cache.ListerWatcher {
	return listOnly{ListerWatcher: lw, ListerWatcherWithContext: cache.ToListerWatcherWithContext(lw)}
}

type listOnly struct {
	cache.ListerWatcher
	cache.ListerWatcherWithContext
	NoWatchList
}
