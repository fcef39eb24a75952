package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
)

// ownedConfigMap is a configmap in default owned by the given configmaps (name=uid), with blockOwnerDeletion, and
// optionally a finalizer that holds it.
func ownedConfigMap(name string, hold bool, owners map[string]string) string {
	var refs []string
	for owner, uid := range owners {
		refs = append(refs, fmt.Sprintf("  - {apiVersion: v1, kind: ConfigMap, name: %s, uid: %s, blockOwnerDeletion: true}", owner, uid))
	}
	y := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: default\n  ownerReferences:\n" + strings.Join(refs, "\n") + "\n"
	if hold {
		y += "  finalizers: [example.com/hold]\n"
	}
	return y
}

// gcFixture holds the server and kubectls that the subtests of TestGarbageCollectionPerWorkspace share.
type gcFixture struct {
	s      *harness.Server
	a, b   *harness.Kubectl // team-a's and team-b's
	before string           // team-b's configmaps, once the forged dependent is gone
}

// configMapUID returns the uid of a configmap in default.
func configMapUID(t *testing.T, k *harness.Kubectl, name string) string {
	return k.MustRun(t, "get", "configmap", name, "-o", "jsonpath={.metadata.uid}")
}

// gone returns a condition that holds once kubectl get args fails.
func gone(k *harness.Kubectl, args ...string) func() bool {
	return func() bool {
		_, _, err := k.Run(append([]string{"get"}, args...)...)
		return err != nil
	}
}

// bSnapshot lists team-b's configmaps with their resource versions.
func (f *gcFixture) bSnapshot(t *testing.T) string {
	return f.b.MustRun(t, "get", "configmaps", "-o", "jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}")
}

// setupGarbageCollection creates the same owners and dependents in team-a and team-b, and a widget owned by a
// configmap in team-a only.
func setupGarbageCollection(t *testing.T) *gcFixture {
	s := harness.Start(t)
	orgPath, _ := s.CreateWorkspace(t, "root", "org")
	teamA, _ := s.CreateWorkspace(t, orgPath, "team-a")
	teamB, _ := s.CreateWorkspace(t, orgPath, "team-b")
	a, b := s.Kubectl(teamA), s.Kubectl(teamB)
	uid := func(k *harness.Kubectl, name string) string { return configMapUID(t, k, name) }
	// The same owners and dependents in both workspaces.
	for _, k := range []*harness.Kubectl{a, b} {
		for _, owner := range []string{"bg", "fg", "orphan", "shared-1", "shared-2"} {
			k.MustRun(t, "create", "configmap", owner)
		}
		k.WithStdin(ownedConfigMap("bg-child", false, map[string]string{"bg": uid(k, "bg")})).MustRun(t, "create", "-f", "-")
		k.WithStdin(ownedConfigMap("fg-child", true, map[string]string{"fg": uid(k, "fg")})).MustRun(t, "create", "-f", "-")
		k.WithStdin(ownedConfigMap("orphan-child", false, map[string]string{"orphan": uid(k, "orphan")})).MustRun(t, "create", "-f", "-")
		k.WithStdin(ownedConfigMap("two-owners", false, map[string]string{"shared-1": uid(k, "shared-1"), "shared-2": uid(k, "shared-2")})).MustRun(t, "create", "-f", "-")
	}
	// A custom resource owned by a configmap, in team-a only.
	a.WithStdin(samples.WidgetsCRD).MustRun(t, "apply", "-f", "-")
	a.MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	a.WithStdin(strings.Replace(widget("bg-widget", "{size: 2}"), "metadata: {", "metadata: {ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: bg, uid: "+uid(a, "bg")+"}], ", 1)).
		MustRun(t, "create", "-f", "-")
	return &gcFixture{s: s, a: a, b: b}
}

func TestGarbageCollectionPerWorkspace(t *testing.T) {
	f := setupGarbageCollection(t)
	t.Run("a reference to another workspace's object names nothing", func(t *testing.T) { testGCForeignReference(t, f) })

	f.before = f.bSnapshot(t)

	t.Run("background: dependents go after their owner", func(t *testing.T) { testGCBackground(t, f) })
	t.Run("foreground: the owner waits for its blocking dependents", func(t *testing.T) { testGCForeground(t, f) })
	t.Run("orphan: dependents stay and lose the reference", func(t *testing.T) { testGCOrphan(t, f) })
	t.Run("a dependent with another owner only loses the reference", func(t *testing.T) { testGCTwoOwners(t, f) })
	t.Run("the sibling's same-named owners and dependents are untouched", func(t *testing.T) { testGCSiblingUntouched(t, f) })
	t.Run("a dependent created just after its owner was deleted is collected", func(t *testing.T) { testGCOwnerJustDeleted(t, f) })
	t.Run("a dependent whose owner never existed is collected", func(t *testing.T) { testGCOwnerNeverExisted(t, f) })
	t.Run("after a restart, the collector knows every owner again", func(t *testing.T) { testGCAfterRestart(t, f) })
}

// testGCForeignReference checks that an owner reference to another workspace's object is dangling, so its dependent is collected.
func testGCForeignReference(t *testing.T, f *gcFixture) {
	// team-a's shared-1 exists, but not in team-b: there the reference is dangling, and the dependent is garbage.
	f.b.WithStdin(ownedConfigMap("forged", false, map[string]string{"shared-1": configMapUID(t, f.a, "shared-1")})).MustRun(t, "create", "-f", "-")
	require.Eventually(t, gone(f.b, "configmap", "forged"), 20*time.Second, 100*time.Millisecond)
	assert.Equal(t, "configmap/shared-1\n", f.a.MustRun(t, "get", "configmap", "shared-1", "-o", "name"))
}

// testGCBackground checks that a background delete collects the owner's configmap and custom resource dependents.
func testGCBackground(t *testing.T, f *gcFixture) {
	a := f.a
	a.MustRun(t, "delete", "configmap", "bg")
	require.Eventually(t, gone(a, "configmap", "bg-child"), 20*time.Second, 100*time.Millisecond)
	require.Eventually(t, gone(a, "widget", "bg-widget"), 20*time.Second, 100*time.Millisecond, "custom resources are collected too")
}

// testGCForeground checks that a foreground delete deletes the dependent first and keeps the owner until it is gone.
func testGCForeground(t *testing.T, f *gcFixture) {
	a := f.a
	a.MustRun(t, "delete", "configmap", "fg", "--cascade=foreground", "--wait=false")
	require.Eventually(t, func() bool {
		deleting, _, _ := a.Run("get", "configmap", "fg-child", "-o", "jsonpath={.metadata.deletionTimestamp}")
		return deleting != ""
	}, 20*time.Second, 100*time.Millisecond, "the dependent is deleted first")
	assert.Contains(t, a.MustRun(t, "get", "configmap", "fg", "-o", "jsonpath={.metadata.finalizers}"), "foregroundDeletion",
		"the owner stays while its dependent is held")
	a.MustRun(t, "patch", "configmap", "fg-child", "--type=json", "-p", `[{"op":"remove","path":"/metadata/finalizers"}]`)
	require.Eventually(t, gone(a, "configmap", "fg"), 20*time.Second, 100*time.Millisecond)
	require.Eventually(t, gone(a, "configmap", "fg-child"), 20*time.Second, 100*time.Millisecond)
}

// testGCOrphan checks that an orphaning delete leaves the dependent without its owner reference.
func testGCOrphan(t *testing.T, f *gcFixture) {
	a := f.a
	a.MustRun(t, "delete", "configmap", "orphan", "--cascade=orphan")
	require.Eventually(t, gone(a, "configmap", "orphan"), 20*time.Second, 100*time.Millisecond)
	assert.Empty(t, a.MustRun(t, "get", "configmap", "orphan-child", "-o", "jsonpath={.metadata.ownerReferences}"))
}

// testGCTwoOwners checks that a dependent of two owners loses one reference per deleted owner and goes with the last.
func testGCTwoOwners(t *testing.T, f *gcFixture) {
	a := f.a
	a.MustRun(t, "delete", "configmap", "shared-1")
	require.Eventually(t, func() bool {
		owners := a.MustRun(t, "get", "configmap", "two-owners", "-o", "jsonpath={.metadata.ownerReferences[*].name}")
		return owners == "shared-2"
	}, 20*time.Second, 100*time.Millisecond)
	a.MustRun(t, "delete", "configmap", "shared-2")
	require.Eventually(t, gone(a, "configmap", "two-owners"), 20*time.Second, 100*time.Millisecond)
}

// testGCSiblingUntouched checks that no configmap in team-b changed while team-a's were collected.
func testGCSiblingUntouched(t *testing.T, f *gcFixture) {
	// Everything in team-a settled above; give the collector a moment more to do anything wrong in team-b.
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, f.before, f.bSnapshot(t), "no configmap in team-b changed")
}

// testGCOwnerJustDeleted checks that a dependent created just after its owner was deleted is collected.
func testGCOwnerJustDeleted(t *testing.T, f *gcFixture) {
	a := f.a
	a.MustRun(t, "create", "configmap", "brief")
	briefUID := configMapUID(t, a, "brief")
	a.MustRun(t, "delete", "configmap", "brief")
	a.WithStdin(ownedConfigMap("too-late", false, map[string]string{"brief": briefUID})).MustRun(t, "create", "-f", "-")
	require.Eventually(t, gone(a, "configmap", "too-late"), 20*time.Second, 100*time.Millisecond)
}

// testGCOwnerNeverExisted checks that a dependent whose owner never existed is collected.
func testGCOwnerNeverExisted(t *testing.T, f *gcFixture) {
	f.a.WithStdin(ownedConfigMap("ghost-child", false, map[string]string{"ghost": "00000000-0000-0000-0000-00000000000a"})).MustRun(t, "create", "-f", "-")
	require.Eventually(t, gone(f.a, "configmap", "ghost-child"), 20*time.Second, 100*time.Millisecond)
}

// testGCAfterRestart checks that after a restart the collector keeps a dependent whose owner exists, and collects
// it once the owner is deleted.
func testGCAfterRestart(t *testing.T, f *gcFixture) {
	a := f.a
	a.MustRun(t, "create", "configmap", "late-owner")
	a.WithStdin(ownedConfigMap("late-child", false, map[string]string{"late-owner": configMapUID(t, a, "late-owner")})).MustRun(t, "create", "-f", "-")
	f.s.Stop(syscall.SIGTERM)
	f.s.Restart()
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, "configmap/late-child\n", a.MustRun(t, "get", "configmap", "late-child", "-o", "name"), "its owner exists")
	a.MustRun(t, "delete", "configmap", "late-owner")
	require.Eventually(t, gone(a, "configmap", "late-child"), 20*time.Second, 100*time.Millisecond)
}
