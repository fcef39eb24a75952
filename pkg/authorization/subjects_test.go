package authorization

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// syncedIndex returns an index whose four stores have listed nothing yet, as after a first empty list.
func syncedIndex(t *testing.T) *RBACIndex {
	index := NewRBACIndex()
	require.NoError(t, index.Roles.Replace(nil, "1"))
	require.NoError(t, index.ClusterRoles.Replace(nil, "1"))
	require.NoError(t, index.RoleBindings.Replace(nil, "1"))
	require.NoError(t, index.ClusterRoleBindings.Replace(nil, "1"))
	return index
}

func roleBinding(cluster, ns, name, role string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: meta(cluster, ns, name), RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: role}, Subjects: subjects}
}

func clusterRoleBinding(cluster, name, role string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: meta(cluster, "", name), RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: role}, Subjects: subjects}
}

func userSubj(name string) rbacv1.Subject  { return rbacv1.Subject{Kind: rbacv1.UserKind, Name: name} }
func groupSubj(name string) rbacv1.Subject { return rbacv1.Subject{Kind: rbacv1.GroupKind, Name: name} }
func saSubj(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

// decider returns a function deciding one resource request of u in a workspace's namespace.
func decider(t *testing.T, index *RBACIndex) func(cluster logicalcluster.Name, u user.Info, verb, resource, ns string) (authorizer.Decision, string) {
	rbac := &RBAC{Index: index}
	return func(cluster logicalcluster.Name, u user.Info, verb, resource, ns string) (authorizer.Decision, string) {
		d, reason, err := rbac.Authorize(logicalcluster.WithCluster(context.Background(), cluster), authorizer.AttributesRecord{
			User: u, Verb: verb, ResourceRequest: true, Resource: resource, Namespace: ns})
		require.NoError(t, err)
		return d, reason
	}
}

func TestSubjectIndexFollowsEveryChangeAtOnce(t *testing.T) {
	index := syncedIndex(t)
	decide := decider(t, index)
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}}
	bob := &user.DefaultInfo{Name: "bob", Groups: []string{user.AllAuthenticated}}

	d, reason := decide("a", alice, "get", "configmaps", "default")
	require.Equal(t, authorizer.DecisionDeny, d, "no binding yet")
	require.Equal(t, AccessDenied, reason)

	require.NoError(t, index.RoleBindings.Add(roleBinding("a", "default", "rb", "view", userSubj("alice"))))
	d, _ = decide("a", alice, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionAllow, d, "an added binding applies as soon as the store has it")

	require.NoError(t, index.RoleBindings.Update(roleBinding("a", "default", "rb", "edit", userSubj("alice"))))
	d, _ = decide("a", alice, "create", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionAllow, d, "a changed role reference applies at once")

	require.NoError(t, index.RoleBindings.Update(roleBinding("a", "default", "rb", "edit", userSubj("bob"))))
	d, reason = decide("a", alice, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionDeny, d, "the subject the binding no longer names loses it at once")
	assert.Equal(t, AccessDenied, reason)
	d, _ = decide("a", bob, "create", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionAllow, d, "the subject it names now gets it at once")

	require.NoError(t, index.RoleBindings.Update(roleBinding("a", "default", "rb", "edit", userSubj("bob"), userSubj("alice"))))
	d, _ = decide("a", alice, "create", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionAllow, d, "a subject added to the list")

	require.NoError(t, index.RoleBindings.Delete(roleBinding("a", "default", "rb", "edit")))
	for _, u := range []user.Info{alice, bob} {
		d, reason = decide("a", u, "get", "configmaps", "default")
		assert.Equal(t, authorizer.DecisionDeny, d, "%s: a removed binding no longer applies", u.GetName())
		assert.Equal(t, AccessDenied, reason)
	}

	require.NoError(t, index.ClusterRoleBindings.Add(clusterRoleBinding("a", "crb", "view", groupSubj("team"))))
	teamMember := &user.DefaultInfo{Name: "carol", Groups: []string{"team"}}
	d, _ = decide("a", teamMember, "get", "configmaps", "any")
	assert.Equal(t, authorizer.DecisionAllow, d, "an added ClusterRoleBinding, in every namespace")
	require.NoError(t, index.ClusterRoleBindings.Update(clusterRoleBinding("a", "crb", "view", groupSubj("other-team"))))
	d, _ = decide("a", teamMember, "get", "configmaps", "any")
	assert.Equal(t, authorizer.DecisionDeny, d, "the group the ClusterRoleBinding no longer names loses it at once")
	require.NoError(t, index.ClusterRoleBindings.Delete(clusterRoleBinding("a", "crb", "view")))
	d, _ = decide("a", &user.DefaultInfo{Name: "dave", Groups: []string{"other-team"}}, "get", "configmaps", "any")
	assert.Equal(t, authorizer.DecisionDeny, d, "a removed ClusterRoleBinding no longer applies")

	require.NoError(t, index.RoleBindings.Add(roleBinding("a", "default", "rb", "view", userSubj("alice"))))
	require.NoError(t, index.RoleBindings.Replace([]interface{}{roleBinding("a", "default", "rb2", "view", userSubj("bob"))}, "2"))
	d, _ = decide("a", alice, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionDeny, d, "a relist without the binding removes it")
	d, _ = decide("a", bob, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionAllow, d, "a relist adds what it lists")
}

func TestSubjectIndexKeepsWorkspacesApart(t *testing.T) {
	index := syncedIndex(t)
	decide := decider(t, index)
	// The same binding names, user, group and ServiceAccount in both workspaces, bound to different roles.
	require.NoError(t, index.RoleBindings.Add(roleBinding("a", "default", "same", "edit", userSubj("alice"), groupSubj("team"), saSubj("default", "robot"))))
	require.NoError(t, index.RoleBindings.Add(roleBinding("b", "default", "same", "view", userSubj("bob"))))
	require.NoError(t, index.ClusterRoleBindings.Add(clusterRoleBinding("b", "same", "view", groupSubj("team"))))
	alice := &user.DefaultInfo{Name: "alice"}
	team := &user.DefaultInfo{Name: "carol", Groups: []string{"team"}}
	robot := &user.DefaultInfo{Name: "system:serviceaccount:default:robot", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:default"}}

	for _, u := range []user.Info{alice, team, robot} {
		d, _ := decide("a", u, "create", "configmaps", "default")
		assert.Equal(t, authorizer.DecisionAllow, d, "%s may edit in a", u.GetName())
	}
	d, reason := decide("b", alice, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionDeny, d, "alice's binding in a does not let her into b")
	assert.Equal(t, AccessDenied, reason)
	d, _ = decide("b", robot, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionDeny, d, "a ServiceAccount of the same name in b is another one")
	d, _ = decide("b", team, "create", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionNoOpinion, d, "the group is bound to view in b, not to a's edit")
	d, _ = decide("b", team, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionAllow, d)

	require.NoError(t, index.RoleBindings.Delete(roleBinding("a", "default", "same", "edit")))
	d, _ = decide("a", alice, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionDeny, d, "deleted in a")
	d, _ = decide("b", &user.DefaultInfo{Name: "bob"}, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionAllow, d, "deleting a's binding leaves b's binding of the same name")
	require.NoError(t, index.ClusterRoleBindings.Delete(clusterRoleBinding("b", "same", "view")))
	d, _ = decide("b", team, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionDeny, d)
}

func TestSubjectIndexGroupsAndServiceAccounts(t *testing.T) {
	index := syncedIndex(t)
	decide := decider(t, index)
	require.NoError(t, index.ClusterRoleBindings.Add(clusterRoleBinding("a", "everyone", "view", groupSubj(user.AllAuthenticated))))
	require.NoError(t, index.RoleBindings.Add(roleBinding("a", "ci", "ci-sas", "edit", groupSubj("system:serviceaccounts:ci"))))
	require.NoError(t, index.RoleBindings.Add(roleBinding("a", "prod", "deployer", "edit", saSubj("ci", "deployer"))))
	require.NoError(t, index.RoleBindings.Add(roleBinding("a", "staging", "deployer-as-user", "edit", userSubj("system:serviceaccount:ci:deployer"))))

	anyone := &user.DefaultInfo{Name: "someone", Groups: []string{user.AllAuthenticated}}
	d, _ := decide("a", anyone, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionAllow, d, "a binding of system:authenticated lets every authenticated user in")
	d, _ = decide("a", &user.DefaultInfo{Name: "anonymous"}, "get", "configmaps", "default")
	assert.Equal(t, authorizer.DecisionDeny, d, "without that group")

	deployer := &user.DefaultInfo{Name: "system:serviceaccount:ci:deployer",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:ci", user.AllAuthenticated}}
	for _, ns := range []string{"ci", "prod", "staging"} {
		d, _ = decide("a", deployer, "create", "configmaps", ns)
		assert.Equal(t, authorizer.DecisionAllow, d, "namespace %s", ns)
	}
	other := &user.DefaultInfo{Name: "system:serviceaccount:ci:other",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:ci", user.AllAuthenticated}}
	d, _ = decide("a", other, "create", "configmaps", "ci")
	assert.Equal(t, authorizer.DecisionAllow, d, "by the namespace's ServiceAccount group")
	d, _ = decide("a", other, "create", "configmaps", "prod")
	assert.Equal(t, authorizer.DecisionNoOpinion, d, "the ServiceAccount subject names deployer only")
	elsewhere := &user.DefaultInfo{Name: "system:serviceaccount:qa:deployer", Groups: []string{"system:serviceaccounts:qa"}}
	d, _ = decide("a", elsewhere, "get", "configmaps", "prod")
	assert.Equal(t, authorizer.DecisionDeny, d, "a ServiceAccount of the same name in another namespace")

	// A binding naming the user twice, by name and by group, is read once: its rules are not repeated.
	require.NoError(t, index.RoleBindings.Add(roleBinding("a", "ci", "twice", "view", saSubj("ci", "deployer"), groupSubj("system:serviceaccounts"))))
	rbac := &RBAC{Index: index}
	h, entered := rbac.rules("a", deployer, "ci")
	require.True(t, entered)
	view, edit := len(standardRoles["view"].rules)+len(standardRoles["view"].served), len(standardRoles["edit"].rules)+len(standardRoles["edit"].served)
	assert.Equal(t, 2*view+edit, len(h.rules)+len(h.served), "everyone (view), ci-sas (edit) and twice (view), each once")
}

// scanNaming is what the authorizer did before the index: every binding of the workspace whose subjects name u.
func scanNaming(bindings []*rbacv1.RoleBinding, u user.Info) []string {
	var out []string
	for _, rb := range bindings {
		for _, s := range rb.Subjects {
			named := false
			switch s.Kind {
			case rbacv1.UserKind:
				named = s.Name == u.GetName()
			case rbacv1.GroupKind:
				named = slices.Contains(u.GetGroups(), s.Name)
			case rbacv1.ServiceAccountKind:
				named = u.GetName() == "system:serviceaccount:"+s.Namespace+":"+s.Name
			}
			if named {
				out = append(out, rb.Namespace+"/"+rb.Name)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestSubjectIndexAgreesWithAScan applies random adds, changes and deletes of bindings in two workspaces and checks
// after each that the index returns exactly the bindings a scan of the store finds, each once.
func TestSubjectIndexAgreesWithAScan(t *testing.T) {
	index := syncedIndex(t)
	random := rand.New(rand.NewSource(1))
	names := []string{"alice", "bob", "system:serviceaccount:ns:sa", "system:serviceaccount:ns:sa:x"}
	groups := []string{"team", "system:authenticated", "system:serviceaccounts:ns", "alice"}
	subject := func() rbacv1.Subject {
		switch random.Intn(5) {
		case 0:
			return userSubj(names[random.Intn(len(names))])
		case 1:
			return groupSubj(groups[random.Intn(len(groups))])
		case 2:
			return saSubj("ns", []string{"sa", "sa:x", "other"}[random.Intn(3)])
		case 3:
			return saSubj("ns:sa", "x") // the same user name as ns/sa:x
		}
		return rbacv1.Subject{Kind: "Unknown", Name: "alice"}
	}
	var users []user.Info
	for _, name := range names {
		users = append(users, &user.DefaultInfo{Name: name}, &user.DefaultInfo{Name: name, Groups: groups[:1+random.Intn(len(groups))]},
			&user.DefaultInfo{Name: name, Groups: []string{"team", "team"}})
	}
	clusters := []logicalcluster.Name{"a", "b"}
	for step := 0; step < 2000; step++ {
		cluster := clusters[random.Intn(2)]
		name := fmt.Sprintf("rb-%d", random.Intn(20))
		if random.Intn(4) == 0 {
			require.NoError(t, index.RoleBindings.Delete(roleBinding(string(cluster), "default", name, "view")))
		} else {
			var subjects []rbacv1.Subject
			for i := random.Intn(4); i > 0; i-- {
				subjects = append(subjects, subject())
			}
			require.NoError(t, index.RoleBindings.Update(roleBinding(string(cluster), "default", name, "view", subjects...)))
		}
		for _, c := range clusters {
			for _, u := range users {
				var got []string
				for _, rb := range index.roleBindingsBySubject.naming(c, u) {
					got = append(got, rb.Namespace+"/"+rb.Name)
				}
				slices.Sort(got)
				require.Equal(t, scanNaming(index.RoleBindings.List(c), u), got, "step %d, workspace %s, user %v", step, c, u)
			}
		}
	}
	for _, c := range clusters {
		for _, rb := range index.RoleBindings.List(c) {
			require.NoError(t, index.RoleBindings.Delete(rb))
		}
	}
	assert.Empty(t, index.roleBindingsBySubject.bySubject, "nothing is left behind once every binding is gone")
	assert.Empty(t, index.roleBindingsBySubject.indexedUnder)
}

// TestSubjectIndexUnderConcurrentChanges decides while a binding's subjects keep changing (run it with -race), and
// checks that the last version is what applies once the changes stop.
func TestSubjectIndexUnderConcurrentChanges(t *testing.T) {
	index := syncedIndex(t)
	rbac := &RBAC{Index: index}
	alice := &user.DefaultInfo{Name: "alice"}
	bob := &user.DefaultInfo{Name: "bob"}
	ctx := logicalcluster.WithCluster(context.Background(), "a")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 500; i++ {
			subject := []string{"alice", "bob"}[i%2]
			if err := index.RoleBindings.Update(roleBinding("a", "default", "rb", "view", userSubj(subject))); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		for _, u := range []user.Info{alice, bob} {
			_, _, err := rbac.Authorize(ctx, authorizer.AttributesRecord{User: u, Verb: "get", ResourceRequest: true,
				Resource: "configmaps", Namespace: "default"})
			require.NoError(t, err)
		}
	}
	h, entered := rbac.rules("a", bob, "default")
	assert.True(t, entered, "the last version names bob")
	assert.NotEmpty(t, append(h.rules, rulesOf(h.served)...), "bob holds view")
	_, entered = rbac.rules("a", alice, "default")
	assert.False(t, entered, "and no longer alice")
	assert.Len(t, index.roleBindingsBySubject.bySubject["a"], 1, "one subject left in the index")
}

func rulesOf(served []servedRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, s := range served {
		out = append(out, s.rule)
	}
	return out
}
