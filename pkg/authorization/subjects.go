package authorization

import (
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// subjectKind tells a user name from a group name in a subjectKey.
type subjectKind uint8

const (
	userSubject subjectKind = iota
	groupSubject
)

// subjectKey is what a binding subject matches in a user.Info: a User subject the user's name, a Group subject one
// of its groups, and a ServiceAccount subject the user named "system:serviceaccount:<namespace>:<name>". Other
// kinds name no one.
type subjectKey struct {
	kind subjectKind
	name string
}

// keyOfSubject returns the key a subject is found under, and false for a kind that names no user.
func keyOfSubject(s rbacv1.Subject) (subjectKey, bool) {
	switch s.Kind {
	case rbacv1.UserKind:
		return subjectKey{userSubject, s.Name}, true
	case rbacv1.GroupKind:
		return subjectKey{groupSubject, s.Name}, true
	case rbacv1.ServiceAccountKind:
		return subjectKey{userSubject, "system:serviceaccount:" + s.Namespace + ":" + s.Name}, true
	}
	return subjectKey{}, false
}

// subjectIndex finds the bindings of one workspace that name a user, one of its groups or its ServiceAccount, so
// that a decision reads only those instead of every binding of the workspace. It follows a clusterwatch.Store:
// every change the store reports is applied before the store's Add, Update, Delete or Replace returns, and a
// binding whose subjects changed is dropped from the subjects it no longer names.
type subjectIndex[T any] struct {
	store    *clusterwatch.Store[T]
	subjects func(T) []rbacv1.Subject

	mu sync.RWMutex
	// bySubject is workspace → subject → "[namespace/]name" of the binding → binding.
	bySubject map[logicalcluster.Name]map[subjectKey]map[string]T
	// indexedUnder is workspace → "[namespace/]name" of the binding → the subjects it is filed under now.
	indexedUnder map[logicalcluster.Name]map[string][]subjectKey
}

// newSubjectIndex returns an index kept up to date with store; call it before the store is fed.
func newSubjectIndex[T any](store *clusterwatch.Store[T], subjects func(T) []rbacv1.Subject) *subjectIndex[T] {
	x := &subjectIndex[T]{
		store:        store,
		subjects:     subjects,
		bySubject:    map[logicalcluster.Name]map[subjectKey]map[string]T{},
		indexedUnder: map[logicalcluster.Name]map[string][]subjectKey{},
	}
	store.OnChange(x.refresh)
	return x
}

// refresh files the binding stored under key again from what the store holds now. Reading the store rather than
// the change itself makes the result right whatever order concurrent changes are reported in.
func (x *subjectIndex[T]) refresh(cluster logicalcluster.Name, key string) {
	binding, exists := x.store.Get(cluster, key)
	var keys []subjectKey
	if exists {
		for _, s := range x.subjects(binding) {
			if k, ok := keyOfSubject(s); ok && !containsKey(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, old := range x.indexedUnder[cluster][key] {
		bindings := x.bySubject[cluster][old]
		delete(bindings, key)
		if len(bindings) == 0 {
			delete(x.bySubject[cluster], old)
		}
	}
	if len(keys) == 0 {
		delete(x.indexedUnder[cluster], key)
		if len(x.indexedUnder[cluster]) == 0 {
			delete(x.indexedUnder, cluster)
			delete(x.bySubject, cluster)
		}
		return
	}
	if x.indexedUnder[cluster] == nil {
		x.indexedUnder[cluster] = map[string][]subjectKey{}
		x.bySubject[cluster] = map[subjectKey]map[string]T{}
	}
	x.indexedUnder[cluster][key] = keys
	for _, k := range keys {
		if x.bySubject[cluster][k] == nil {
			x.bySubject[cluster][k] = map[string]T{}
		}
		x.bySubject[cluster][k][key] = binding
	}
}

// naming returns the bindings of a workspace with at least one subject that names u, each once, in no particular
// order: those naming its user name (a ServiceAccount's included) and those naming any of its groups.
func (x *subjectIndex[T]) naming(cluster logicalcluster.Name, u user.Info) []T {
	x.mu.RLock()
	defer x.mu.RUnlock()
	bySubject := x.bySubject[cluster]
	if len(bySubject) == 0 {
		return nil
	}
	var out []T
	for _, binding := range bySubject[subjectKey{userSubject, u.GetName()}] {
		out = append(out, binding)
	}
	groups := u.GetGroups()
	for i, group := range groups {
		for key, binding := range bySubject[subjectKey{groupSubject, group}] {
			if x.seenBefore(bySubject, u.GetName(), groups[:i], key) {
				continue
			}
			out = append(out, binding)
		}
	}
	return out
}

// seenBefore reports whether the binding stored under key was already returned for the user name or one of the
// groups before the current one; checking the few earlier subjects avoids allocating a set per decision.
func (x *subjectIndex[T]) seenBefore(bySubject map[subjectKey]map[string]T, name string, earlierGroups []string, key string) bool {
	if _, ok := bySubject[subjectKey{userSubject, name}][key]; ok {
		return true
	}
	for _, group := range earlierGroups {
		if _, ok := bySubject[subjectKey{groupSubject, group}][key]; ok {
			return true
		}
	}
	return false
}

func containsKey(keys []subjectKey, k subjectKey) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}
