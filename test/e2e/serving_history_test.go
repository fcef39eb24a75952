package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/test/harness"
)

// llamaModel is a Model with two versions, the first in Production.
const llamaModel = `apiVersion: serving.gantry.dev/v1alpha1
kind: Model
metadata: {name: llama, namespace: default}
spec:
  format: safetensors
  versions:
  - {name: v1, storageUri: "s3://models/llama/v1", stage: Production}
  - {name: v2, storageUri: "s3://models/llama/v2"}
`

// isvcYAML is an InferenceService named name whose spec.predictor is predictor (indented YAML lines).
func isvcYAML(name, annotations, predictor string) string {
	return "apiVersion: serving.gantry.dev/v1alpha1\nkind: InferenceService\nmetadata:\n  name: " + name +
		"\n  namespace: default\n  annotations: {" + annotations + "}\nspec:\n  predictor:\n" + predictor
}

// servingHistoryFixture holds the server, workspaces and users the subtests of TestServingHistory share.
type servingHistoryFixture struct {
	s                  *harness.Server
	teamA, teamB, prod string
	alice, bob, carol  *harness.Kubectl // in team-a, team-b, team-a
}

// setupServingHistory starts a server with the serving provider, binds serving in team-a, team-b and prod (alice
// admin of team-a and prod, bob of team-b, carol of team-a only) and registers llama in each.
func setupServingHistory(t *testing.T) *servingHistoryFixture {
	s, _ := startWithUsers(t, harness.WithServingProvider)
	f := &servingHistoryFixture{s: s}
	s.WaitWorkspaceReady(t, "root", "serving")
	org, _ := s.CreateWorkspace(t, "root", "org")
	f.teamA, _ = s.CreateWorkspace(t, org, "team-a")
	f.teamB, _ = s.CreateWorkspace(t, org, "team-b")
	f.prod, _ = s.CreateWorkspace(t, org, "prod")
	admins := map[string][]string{f.teamA: {"alice", "carol"}, f.teamB: {"bob"}, f.prod: {"alice"}}
	for _, ws := range []string{f.teamA, f.teamB, f.prod} {
		admin := s.UserShell(t, ws, "")
		require.Eventually(t, func() bool {
			_, _, err := admin.Run("gantry", "bind", "apiexport", "root:serving:serving", "--timeout", "30s")
			return err == nil
		}, 90*time.Second, time.Second, "binding serving in %s", ws)
		args := []string{"create", "clusterrolebinding", "team-admin", "--clusterrole=admin"}
		for _, u := range admins[ws] {
			args = append(args, "--user="+u)
		}
		admin.MustRun(t, args...)
		admin.WithStdin(llamaModel).MustRun(t, "create", "-f", "-")
	}
	f.alice = s.UserShell(t, f.teamA, aliceToken)
	f.bob = s.UserShell(t, f.teamB, bobToken)
	f.carol = s.UserShell(t, f.teamA, carolToken)
	return f
}

// revisionsOf lists a service's revisions as "n:model:version:author:cause" lines.
func revisionsOf(t *testing.T, k *harness.Kubectl, service string) string {
	t.Helper()
	return k.MustRun(t, "get", "inferenceservicerevisions", "-l", "serving.gantry.dev/service="+service, "--sort-by=.spec.revision", "-o",
		`jsonpath={range .items[*]}{.spec.revision}:{.spec.resolvedModel.name}:{.spec.resolvedModel.version}:{.spec.author}:{.spec.cause}{"\n"}{end}`)
}

// eventuallyRevisions waits until the service's revisions are exactly want.
func eventuallyRevisions(t *testing.T, k *harness.Kubectl, service string, want ...string) {
	t.Helper()
	expected := strings.Join(want, "\n") + "\n"
	var got string
	if !assert.Eventually(t, func() bool { got = revisionsOf(t, k, service); return got == expected }, 60*time.Second, 200*time.Millisecond) {
		t.Fatalf("revisions of %s:\n%s\nwant:\n%s", service, got, expected)
	}
}

func TestServingHistory(t *testing.T) {
	f := setupServingHistory(t)
	bobChat := isvcYAML("chat", "", "    model:\n      modelRef: {name: llama, version: v1}\n")
	f.bob.WithStdin(bobChat).MustRun(t, "create", "-f", "-")
	eventuallyRevisions(t, f.bob, "chat", "1:llama:v1:bob:created")
	bobSpec := f.bob.MustRun(t, "get", "isvc", "chat", "-o", "jsonpath={.spec}")

	t.Run("an InferenceService that cannot be served is refused, naming the field and the fix", func(t *testing.T) { testServingRefused(t, f) })
	t.Run("edits record revisions with their author, which cannot be forged", func(t *testing.T) { testRevisionsAndAuthors(t, f) })
	t.Run("promoting a model rolls the services that follow the stage", func(t *testing.T) { testPromoteModel(t, f) })
	t.Run("rollout undo restores an earlier revision as a new one", func(t *testing.T) { testRolloutUndo(t, f) })
	t.Run("revisionHistoryLimit prunes the oldest revisions", func(t *testing.T) { testRevisionPruning(t, f) })
	t.Run("promote isvc copies the exact spec to another workspace", func(t *testing.T) { testPromoteService(t, f) })
	t.Run("rollout status follows the health to Healthy or Degraded", func(t *testing.T) { testRolloutStatus(t, f) })
	t.Run("deleting a service deletes its revisions", func(t *testing.T) {
		f.alice.MustRun(t, "delete", "isvc", "pinned", "--wait=true")
		require.Eventually(t, func() bool { return revisionsOf(t, f.alice, "pinned") == "" }, 60*time.Second, 200*time.Millisecond,
			"the garbage collector deletes the revisions the service owned")
	})

	t.Run("team-b's same-named service and its history are untouched", func(t *testing.T) {
		assert.Equal(t, bobSpec, f.bob.MustRun(t, "get", "isvc", "chat", "-o", "jsonpath={.spec}"))
		assert.Equal(t, "1:llama:v1:bob:created\n", revisionsOf(t, f.bob, "chat"))
		assert.Equal(t, "v1:Production v2:None ", f.bob.MustRun(t, "get", "model", "llama", "-o",
			`jsonpath={range .spec.versions[*]}{.name}:{.stage} {end}`), "team-a's promotion stays in team-a")
	})
}

// testServingRefused checks each bad reference: kubectl's stderr names the field and says what to fix.
func testServingRefused(t *testing.T, f *servingHistoryFixture) {
	f.bob.WithStdin("apiVersion: serving.gantry.dev/v1alpha1\nkind: Model\nmetadata: {name: only-in-b, namespace: default}\n"+
		"spec: {format: onnx, versions: [{name: v1, storageUri: 's3://b', stage: Production}]}\n").MustRun(t, "create", "-f", "-")
	cases := []struct{ name, predictor, field, fix string }{
		{"a missing model", "    model:\n      modelRef: {name: mistral, version: v1}\n",
			"spec.predictor.model.modelRef.name", `no Model "mistral" in this namespace: register it first`},
		{"a model of another workspace", "    model:\n      modelRef: {name: only-in-b, version: v1}\n",
			"spec.predictor.model.modelRef.name", `no Model "only-in-b" in this namespace`},
		{"a missing version", "    model:\n      modelRef: {name: llama, version: v9}\n",
			"spec.predictor.model.modelRef.version", `Model "llama" has no version "v9"; it has "v1", "v2"`},
		{"an unknown runtime", "    model:\n      runtime: tgi\n      modelRef: {name: llama, version: v1}\n",
			"spec.predictor.model.runtime", `no ServingRuntime "tgi" in this namespace and no built-in one`},
		{"a runtime that does not serve the format", "    model:\n      runtime: oip\n      modelRef: {name: llama, version: v1}\n",
			"spec.predictor.model.runtime", `runtime "oip" does not serve format "safetensors"`},
		{"GPUs on a runtime without GPU support", "    model:\n      storageUri: s3://m/iris\n      modelFormat: {name: sklearn}\n" +
			"      resources: {limits: {nvidia.com/gpu: 1}}\n",
			"spec.predictor.model.resources", `does not support GPUs: remove the nvidia.com/gpu request or choose a GPU runtime`},
	}
	for _, c := range cases {
		_, errOut, err := f.alice.WithStdin(isvcYAML("bad", "", c.predictor)).Run("create", "-f", "-")
		require.Error(t, err, c.name)
		assert.Contains(t, errOut, `"bad" is invalid`, c.name)
		assert.Contains(t, errOut, c.field, c.name)
		assert.Contains(t, errOut, c.fix, c.name)
	}
	_, errOut, err := f.alice.Run("get", "isvc", "bad")
	require.Error(t, err)
	assert.Contains(t, errOut, "NotFound", "nothing was written")

	// An update that breaks the reference is refused as well, and leaves the service as it was.
	f.alice.WithStdin(isvcYAML("fine", "", "    model:\n      modelRef: {name: llama, version: v1}\n")).MustRun(t, "create", "-f", "-")
	_, errOut, err = f.alice.Run("patch", "isvc", "fine", "--type=merge", "-p", `{"spec":{"predictor":{"model":{"modelRef":{"version":"v7"}}}}}`)
	require.Error(t, err)
	assert.Contains(t, errOut, "spec.predictor.model.modelRef.version")
	f.alice.MustRun(t, "delete", "isvc", "fine")
}

// testRevisionsAndAuthors checks the first revision, edits by two users, and that a forged author is overwritten.
func testRevisionsAndAuthors(t *testing.T, f *servingHistoryFixture) {
	forged := `serving.gantry.dev/changed-by: mallory`
	f.alice.WithStdin(isvcYAML("chat", forged, "    model:\n      modelRef: {name: llama, stage: Production}\n")).MustRun(t, "create", "-f", "-")
	eventuallyRevisions(t, f.alice, "chat", "1:llama:v1:alice:created")
	assert.Equal(t, "alice", f.alice.MustRun(t, "get", "isvc", "chat", "-o", `jsonpath={.metadata.annotations.serving\.gantry\.dev/changed-by}`))
	require.Eventually(t, func() bool {
		return f.alice.MustRun(t, "get", "isvc", "chat", "-o", `jsonpath={.metadata.annotations.serving\.gantry\.dev/revision}`) == "1"
	}, 30*time.Second, 200*time.Millisecond, "the service names its revision")

	f.alice.MustRun(t, "patch", "isvc", "chat", "--type=merge", "-p", `{"spec":{"predictor":{"maxReplicas":2}}}`)
	eventuallyRevisions(t, f.alice, "chat", "1:llama:v1:alice:created", "2:llama:v1:alice:spec changed")
	f.carol.MustRun(t, "patch", "isvc", "chat", "--type=merge", "-p",
		`{"metadata":{"annotations":{"serving.gantry.dev/changed-by":"mallory"}},"spec":{"predictor":{"maxReplicas":3}}}`)
	eventuallyRevisions(t, f.alice, "chat", "1:llama:v1:alice:created", "2:llama:v1:alice:spec changed", "3:llama:v1:carol:spec changed")

	// A metadata-only write cannot change the recorded author either.
	f.alice.MustRun(t, "annotate", "isvc", "chat", "--overwrite", "serving.gantry.dev/changed-by=mallory")
	assert.Equal(t, "carol", f.alice.MustRun(t, "get", "isvc", "chat", "-o", `jsonpath={.metadata.annotations.serving\.gantry\.dev/changed-by}`))

	// A rewritten revision number is put back.
	f.alice.MustRun(t, "annotate", "isvc", "chat", "--overwrite", "serving.gantry.dev/revision=99")
	require.Eventually(t, func() bool {
		return f.alice.MustRun(t, "get", "isvc", "chat", "-o", `jsonpath={.metadata.annotations.serving\.gantry\.dev/revision}`) == "3"
	}, 30*time.Second, 200*time.Millisecond, "the history puts its revision back")

	// Revisions are immutable.
	_, errOut, err := f.alice.Run("patch", "inferenceservicerevision", "chat-1", "--type=merge", "-p", `{"spec":{"author":"mallory"}}`)
	require.Error(t, err)
	assert.Contains(t, errOut, "immutable")
}

// testPromoteModel promotes v2 to Production: chat follows it, records a revision, and v1 is Archived.
func testPromoteModel(t *testing.T, f *servingHistoryFixture) {
	out := f.alice.MustRun(t, "gantry", "promote", "model/llama", "--version", "v2", "--stage", "Production")
	assert.Equal(t, "model.serving.gantry.dev/llama version v2 promoted to Production\n", out)
	assert.Equal(t, "v1:Archived v2:Production ", f.alice.MustRun(t, "get", "model", "llama", "-o",
		`jsonpath={range .spec.versions[*]}{.name}:{.stage} {end}`))
	eventuallyRevisions(t, f.alice, "chat", "1:llama:v1:alice:created", "2:llama:v1:alice:spec changed",
		"3:llama:v1:carol:spec changed", "4:llama:v2:alice:model llama v2 promoted to Production")

	history := f.alice.MustRun(t, "gantry", "rollout", "history", "isvc/chat")
	assert.Regexp(t, `^REVISION\s+MODEL\s+AUTHOR\s+AGE\s+CAUSE\n`, history)
	assert.Regexp(t, `\n1\s+llama:v1\s+alice\s+\S+\s+created\n`, history)
	assert.Regexp(t, `\n4\*?\s+llama:v2\s+alice\s+\S+\s+model llama v2 promoted to Production\n`, history)

	_, errOut, err := f.alice.Run("gantry", "promote", "model/llama", "--version", "v9", "--stage", "Production")
	require.Error(t, err)
	assert.Equal(t, "error: model/llama has no version \"v9\"; it has [v1 v2]\n", errOut)
}

// testRolloutUndo pins a service to v1, moves it to v2, and rolls back to revision 1.
func testRolloutUndo(t *testing.T, f *servingHistoryFixture) {
	f.alice.WithStdin(isvcYAML("pinned", "", "    model:\n      modelRef: {name: llama, version: v1}\n")).MustRun(t, "create", "-f", "-")
	eventuallyRevisions(t, f.alice, "pinned", "1:llama:v1:alice:created")
	rev1 := f.alice.MustRun(t, "get", "isvcrev", "pinned-1", "-o", "jsonpath={.spec.predictor}")
	f.alice.MustRun(t, "patch", "isvc", "pinned", "--type=merge", "-p", `{"spec":{"predictor":{"model":{"modelRef":{"version":"v2"}}}}}`)
	eventuallyRevisions(t, f.alice, "pinned", "1:llama:v1:alice:created", "2:llama:v2:alice:spec changed")

	out := f.carol.MustRun(t, "gantry", "rollout", "undo", "isvc/pinned", "--to-revision", "1")
	assert.Equal(t, "inferenceservice.serving.gantry.dev/pinned rolled back to revision 1\n", out)
	eventuallyRevisions(t, f.alice, "pinned", "1:llama:v1:alice:created", "2:llama:v2:alice:spec changed",
		"3:llama:v1:carol:rollback to revision 1")
	assert.Equal(t, rev1, f.alice.MustRun(t, "get", "isvc", "pinned", "-o", "jsonpath={.spec.predictor}"))

	_, errOut, err := f.alice.Run("gantry", "rollout", "undo", "isvc/pinned", "--to-revision", "9")
	require.Error(t, err)
	assert.Contains(t, errOut, "inferenceservice/pinned has no revision 9: it keeps 1, 2, 3")
	_, errOut, err = f.alice.Run("gantry", "rollout", "undo", "isvc/missing")
	require.Error(t, err)
	assert.Contains(t, errOut, `Error from server (NotFound)`)
}

// testRevisionPruning lowers the limit of chat to 2 and checks that only the newest two remain, and stay two.
func testRevisionPruning(t *testing.T, f *servingHistoryFixture) {
	f.alice.MustRun(t, "patch", "isvc", "chat", "--type=merge", "-p", `{"spec":{"revisionHistoryLimit":2}}`)
	eventuallyRevisions(t, f.alice, "chat", "3:llama:v1:carol:spec changed", "4:llama:v2:alice:model llama v2 promoted to Production")
	f.alice.MustRun(t, "patch", "isvc", "chat", "--type=merge", "-p", `{"spec":{"predictor":{"maxReplicas":4}}}`)
	eventuallyRevisions(t, f.alice, "chat", "4:llama:v2:alice:model llama v2 promoted to Production", "5:llama:v2:alice:spec changed")
}

// testPromoteService copies chat to prod as alice, who may write there, and is refused for carol, who may not.
func testPromoteService(t *testing.T, f *servingHistoryFixture) {
	out := f.alice.MustRun(t, "gantry", "promote", "isvc/chat", "--to", f.prod)
	assert.Equal(t, fmt.Sprintf("inferenceservice.serving.gantry.dev/chat created in %s (promoted from %s)\n", f.prod, f.teamA), out)
	aliceProd := f.s.UserShell(t, f.prod, aliceToken)
	assert.Equal(t, f.alice.MustRun(t, "get", "isvc", "chat", "-o", "jsonpath={.spec}"),
		aliceProd.MustRun(t, "get", "isvc", "chat", "-o", "jsonpath={.spec}"), "the exact spec")
	eventuallyRevisions(t, aliceProd, "chat", "1:llama:v1:alice:promoted from "+f.teamA)

	_, errOut, err := f.carol.Run("gantry", "promote", "isvc/chat", "--to", f.prod)
	require.Error(t, err)
	assert.Contains(t, errOut, "Error from server (Forbidden)")
	assert.Contains(t, errOut, `User "carol" cannot`)
	eventuallyRevisions(t, aliceProd, "chat", "1:llama:v1:alice:promoted from "+f.teamA)
}

// testRolloutStatus writes the health through the status subresource, as the operator does, and follows it.
func testRolloutStatus(t *testing.T, f *servingHistoryFixture) {
	setHealth := func(state, reason, message string) {
		generation := f.alice.MustRun(t, "get", "isvc", "pinned", "-o", "jsonpath={.metadata.generation}")
		f.alice.MustRun(t, "patch", "isvc", "pinned", "--subresource=status", "--type=merge", "-p",
			fmt.Sprintf(`{"status":{"observedGeneration":%s,"health":{"state":%q,"reason":%q,"message":%q}}}`, generation, state, reason, message))
	}
	setHealth("Progressing", "Starting", "0/1 replicas ready")
	_, errOut, err := f.alice.Run("gantry", "rollout", "status", "isvc/pinned", "--timeout", "1s")
	require.Error(t, err)
	assert.Equal(t, "error: inferenceservice/pinned did not become Healthy within 1s: it is Progressing (Starting): 0/1 replicas ready; "+
		"`kubectl gantry health isvc/pinned` shows why\n", errOut)

	setHealth("Degraded", "InsufficientGPU", "0/2 nodes are available: 2 Insufficient nvidia.com/gpu")
	out, errOut, err := f.alice.Run("gantry", "rollout", "status", "isvc/pinned")
	require.Error(t, err)
	assert.Equal(t, "inferenceservice/pinned: Degraded (InsufficientGPU): 0/2 nodes are available: 2 Insufficient nvidia.com/gpu\n", out)
	assert.Equal(t, "error: inferenceservice/pinned is Degraded (InsufficientGPU): 0/2 nodes are available: 2 Insufficient nvidia.com/gpu\n", errOut)

	setHealth("Healthy", "", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, _, err = f.alice.RunContext(ctx, "gantry", "rollout", "status", "isvc/pinned")
	require.NoError(t, err)
	assert.Equal(t, "inferenceservice/pinned: Healthy\n", out)
}
