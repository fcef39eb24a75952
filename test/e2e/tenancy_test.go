package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/test/harness"
)

const (
	aliceToken = "alice-token-0123456789"
	bobToken   = "bob-token-0123456789"
	carolToken = "carol-token-0123456789"
	daveToken  = "dave-token-0123456789"
)

// startWithUsers starts a server with static token users, audit logging and extraArgs; it returns the audit log's
// path.
func startWithUsers(t *testing.T, extraArgs ...string) (*harness.Server, string) {
	t.Helper()
	dir := t.TempDir()
	policy := filepath.Join(dir, "audit-policy.yaml")
	require.NoError(t, os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"), 0o600))
	auditLog := filepath.Join(dir, "audit.log")
	tokens := filepath.Join(dir, "tokens.csv")
	require.NoError(t, os.WriteFile(tokens, []byte(
		aliceToken+",alice,uid-alice,\"team-a\"\n"+
			bobToken+",bob,uid-bob,\"team-b\"\n"+
			carolToken+",carol,uid-carol\n"+
			daveToken+",dave,uid-dave\n"), 0o600))
	args := append([]string{"--token-auth-file", tokens, "--audit-policy-file", policy, "--audit-log-path", auditLog}, extraArgs...)
	return harness.Start(t, args...), auditLog
}

// rbacFixture holds the server, workspaces and audit log that the subtests of TestWorkspaceAccessAndRBAC share.
type rbacFixture struct {
	s               *harness.Server
	auditLog        string
	orgPath         string
	teamA, clusterA string
	teamB, clusterB string
}

// alice returns a kubectl for workspace ws as alice, the admin of team-a.
func (f *rbacFixture) alice(t *testing.T, ws string) *harness.Kubectl {
	return f.s.KubectlAs(t, ws, aliceToken)
}

// carol returns a kubectl for workspace ws as carol, a viewer of team-a's default namespace.
func (f *rbacFixture) carol(t *testing.T, ws string) *harness.Kubectl {
	return f.s.KubectlAs(t, ws, carolToken)
}

// setupRBAC starts a server with users, creates org with team-a and team-b, and binds each team's user in its team.
func setupRBAC(t *testing.T) *rbacFixture {
	s, auditLog := startWithUsers(t)
	f := &rbacFixture{s: s, auditLog: auditLog}
	f.orgPath, _ = s.CreateWorkspace(t, "root", "org")
	f.teamA, f.clusterA = s.CreateWorkspace(t, f.orgPath, "team-a")
	f.teamB, f.clusterB = s.CreateWorkspace(t, f.orgPath, "team-b")
	// Same-named bindings in both teams, each naming its own team's user.
	s.Kubectl(f.teamA).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user=alice")
	s.Kubectl(f.teamB).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user=bob")
	s.Kubectl(f.teamA).MustRun(t, "create", "rolebinding", "carol-view", "--clusterrole=view", "--user=carol", "-n", "default")
	s.Kubectl(f.teamB).MustRun(t, "create", "configmap", "b-only", "--from-literal=k=v")
	return f
}

func TestWorkspaceAccessAndRBAC(t *testing.T) {
	f := setupRBAC(t)
	t.Run("a user works in the workspace that grants it", func(t *testing.T) { testRBACWorksWhereGranted(t, f) })
	t.Run("and nowhere else, with the same answer whether the workspace exists or not", func(t *testing.T) { testRBACNowhereElse(t, f) })
	t.Run("RBAC inside a workspace", func(t *testing.T) { testRBACInsideWorkspace(t, f) })
	t.Run("nobody grants more than they hold", func(t *testing.T) { testRBACNoEscalation(t, f) })
	t.Run("the creator of a workspace is its cluster-admin", func(t *testing.T) { testRBACCreatorIsAdmin(t, f) })
	t.Run("kubectl auth whoami and can-i answer per workspace", func(t *testing.T) { testRBACWhoamiAndCanI(t, f) })
	t.Run("audit events name the workspace", func(t *testing.T) { testRBACAuditNamesWorkspace(t, f) })
	t.Run("a refused workspace path passes the handler chain: it is audited", func(t *testing.T) { testRBACRefusedPathAudited(t, f) })
	t.Run("a ServiceAccount token works in its own workspace only", func(t *testing.T) { testRBACServiceAccountToken(t, f) })
	t.Run("unauthenticated requests get 401", func(t *testing.T) { testRBACUnauthenticated(t, f) })
	t.Run("a binding's new subjects, and its removal, apply in its workspace only", func(t *testing.T) { testRBACBindingChanges(t, f) })
}

// testRBACBindingChanges binds dave by same-named RoleBindings in two new workspaces A and B, then moves A's to the
// group team-b (bob's) and deletes it: each change reaches the decisions in A, and none reaches B.
func testRBACBindingChanges(t *testing.T, f *rbacFixture) {
	s := f.s
	a, _ := s.CreateWorkspace(t, f.orgPath, "moves-a")
	b, _ := s.CreateWorkspace(t, f.orgPath, "moves-b")
	for _, ws := range []string{a, b} {
		s.Kubectl(ws).MustRun(t, "create", "rolebinding", "moving", "--clusterrole=view", "--user=dave", "-n", "default")
	}
	// The RBAC index follows a watch, so a change is awaited; a generous timeout keeps this robust under load.
	waitFor := func(token, ws string, want int, what string) {
		t.Helper()
		require.Eventually(t, func() bool {
			code, _ := configMapListStatus(t, s, token, ws)
			return code == want
		}, time.Minute, 100*time.Millisecond, what)
	}
	waitFor(daveToken, a, http.StatusOK, "dave reads A")
	waitFor(daveToken, b, http.StatusOK, "dave reads B")
	code, _ := configMapListStatus(t, s, bobToken, a)
	require.Equal(t, http.StatusForbidden, code, "bob is not named in A yet")

	s.Kubectl(a).MustRun(t, "patch", "rolebinding", "moving", "-n", "default", "--type=json",
		"-p", `[{"op":"replace","path":"/subjects","value":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"team-b"}]}]`)
	waitFor(bobToken, a, http.StatusOK, "bob reads A through his group, now named")
	code, msg := configMapListStatus(t, s, daveToken, a)
	assert.Equal(t, http.StatusForbidden, code, "dave, no longer named, is out of A")
	assert.Contains(t, msg, "access to the workspace is denied")
	code, _ = configMapListStatus(t, s, daveToken, b)
	assert.Equal(t, http.StatusOK, code, "B's binding of the same name still names dave")
	code, _ = configMapListStatus(t, s, bobToken, b)
	assert.Equal(t, http.StatusForbidden, code, "bob's group is named in A only")

	s.Kubectl(a).MustRun(t, "delete", "rolebinding", "moving", "-n", "default")
	waitFor(bobToken, a, http.StatusForbidden, "bob is out of A once the binding is gone")
	code, _ = configMapListStatus(t, s, daveToken, b)
	assert.Equal(t, http.StatusOK, code, "deleting A's binding left B's")
}

// testRBACWorksWhereGranted checks that alice can write, read and discover in team-a, where she is admin.
func testRBACWorksWhereGranted(t *testing.T, f *rbacFixture) {
	alice := f.alice(t, f.teamA)
	alice.MustRun(t, "create", "configmap", "model", "--from-literal=name=llama")
	assert.Equal(t, "llama", alice.MustRun(t, "get", "configmap", "model", "-o", "jsonpath={.data.name}"))
	assert.Contains(t, alice.MustRun(t, "api-resources"), "configmaps", "discovery works for whoever can enter")
}

// configMapListStatus lists configmaps in ws as the user of token (the admin when empty) and returns the HTTP
// status code and the Status message of the answer.
func configMapListStatus(t *testing.T, s *harness.Server, token, ws string) (int, string) {
	t.Helper()
	cfg, err := s.RESTConfig(ws)
	require.NoError(t, err)
	if token != "" {
		cfg, err = s.RESTConfigAs(ws, token)
		require.NoError(t, err)
	}
	client, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	resp, err := client.Get(cfg.Host + "/api/v1/namespaces/default/configmaps")
	require.NoError(t, err)
	defer resp.Body.Close()
	var st metav1.Status
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return resp.StatusCode, st.Message
}

// lastLine returns the last line of out, trimmed of surrounding space.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

// testRBACNowhereElse checks that alice is refused everywhere else, identically whether the workspace exists or not.
func testRBACNowhereElse(t *testing.T, f *rbacFixture) {
	s, orgPath, teamB := f.s, f.orgPath, f.teamB
	code, inB := configMapListStatus(t, s, aliceToken, teamB)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, inB, "access to the workspace is denied")
	for _, ws := range []string{"root", orgPath, orgPath + ":no-such-team", "zzzzzzzzzzzzz"} {
		code, msg := configMapListStatus(t, s, aliceToken, ws)
		assert.Equal(t, http.StatusForbidden, code, ws)
		assert.Equal(t, inB, msg, "%s must look exactly like a workspace alice may not enter", ws)
	}
	code, msg := configMapListStatus(t, s, "", orgPath+":no-such-team")
	assert.Equal(t, http.StatusNotFound, code, "the admin learns that it does not exist")
	assert.Contains(t, msg, "not found")

	_, kubectlB, err := f.alice(t, teamB).Run("get", "configmaps")
	require.Error(t, err)
	_, kubectlMissing, err := f.alice(t, orgPath+":no-such-team").Run("get", "configmaps")
	require.Error(t, err)
	assert.Equal(t, lastLine(kubectlB), lastLine(kubectlMissing))
	assert.Contains(t, lastLine(kubectlB), "Forbidden")

	_, errOut, err := f.alice(t, teamB).Run("create", "configmap", "intruder")
	require.Error(t, err)
	assert.Contains(t, errOut, "access to the workspace is denied")
	_, errOut, err = f.alice(t, orgPath).Run("get", "workspaces")
	require.Error(t, err, "alice may not list the workspaces of org")
	assert.Contains(t, errOut, "Forbidden")
	assert.Equal(t, "configmap/b-only\nconfigmap/kube-root-ca.crt\n", s.Kubectl(teamB).MustRun(t, "get", "configmaps", "-o", "name"), "nothing was written in B")
}

// testRBACInsideWorkspace checks that carol's view binding lets her read configmaps in default and nothing more.
func testRBACInsideWorkspace(t *testing.T, f *rbacFixture) {
	carol := func() *harness.Kubectl { return f.carol(t, f.teamA) }
	assert.Equal(t, "llama", carol().MustRun(t, "get", "configmap", "model", "-o", "jsonpath={.data.name}"))
	_, errOut, err := carol().Run("create", "configmap", "x")
	require.Error(t, err, "view does not create")
	assert.Contains(t, errOut, `cannot create resource "configmaps"`)
	assert.NotContains(t, errOut, "access to the workspace", "carol may enter; she just may not create")
	f.alice(t, f.teamA).MustRun(t, "create", "secret", "generic", "token", "--from-literal=t=1")
	_, errOut, err = carol().Run("get", "secret", "token")
	require.Error(t, err, "view does not read secrets")
	assert.Contains(t, errOut, "Forbidden")
	_, _, err = carol().Run("get", "configmaps", "-n", "kube-system")
	require.Error(t, err, "carol's RoleBinding is for default only")
}

// testRBACNoEscalation checks that creating, dry-running or updating RBAC cannot grant more than the caller holds.
func testRBACNoEscalation(t *testing.T, f *rbacFixture) {
	alice := func() *harness.Kubectl { return f.alice(t, f.teamA) }
	_, errOut, err := alice().Run("create", "clusterrolebinding", "escalate", "--clusterrole=cluster-admin", "--user=alice")
	require.Error(t, err, "admin does not hold cluster-admin's non-resource rules")
	assert.Contains(t, errOut, "attempting to grant RBAC permissions not currently held")
	_, errOut, err = alice().Run("create", "clusterrole", "everything", "--verb=get", "--non-resource-url=*")
	require.Error(t, err)
	assert.Contains(t, errOut, "attempting to grant RBAC permissions not currently held")
	_, _, err = alice().Run("create", "clusterrolebinding", "escalate", "--clusterrole=cluster-admin", "--user=alice", "--dry-run=server")
	require.Error(t, err, "dry runs are checked too")

	alice().MustRun(t, "create", "role", "cm-reader", "--verb=get", "--resource=configmaps", "-n", "default")
	alice().MustRun(t, "create", "rolebinding", "reader", "--role=cm-reader", "--user=erin", "-n", "default")
	_, errOut, err = alice().Run("patch", "role", "cm-reader", "-n", "default", "--type=json",
		"-p", `[{"op":"add","path":"/rules/0/verbs/-","value":"escalate"}]`)
	require.Error(t, err, "updates are checked too")
	assert.Contains(t, errOut, "attempting to grant RBAC permissions not currently held")

	f.s.Kubectl(f.teamA).MustRun(t, "create", "clusterrolebinding", "dave-edit", "--clusterrole=edit", "--user=dave")
	dave := f.s.KubectlAs(t, f.teamA, daveToken)
	dave.MustRun(t, "create", "configmap", "by-dave")
	_, errOut, err = dave.Run("create", "rolebinding", "dave-admin", "--clusterrole=admin", "--user=dave", "-n", "default")
	require.Error(t, err, "edit only reads RBAC")
	assert.Contains(t, errOut, `cannot create resource "rolebindings"`)
}

// testRBACCreatorIsAdmin checks that the server records the real creator of a workspace and makes it its cluster-admin.
func testRBACCreatorIsAdmin(t *testing.T, f *rbacFixture) {
	s, teamA := f.s, f.teamA
	f.alice(t, teamA).WithStdin("apiVersion: tenancy.gantry.dev/v1alpha1\nkind: Workspace\nmetadata: {name: sub, annotations: {tenancy.gantry.dev/owner: mallory}}\n").
		MustRun(t, "create", "-f", "-")
	sub, _ := s.WaitWorkspaceReady(t, teamA, "sub")
	assert.Equal(t, "alice", s.Kubectl(teamA).MustRun(t, "get", "workspace", "sub", "-o", `jsonpath={.metadata.annotations.tenancy\.gantry\.dev/owner}`),
		"the server records the requesting user, not what the client claims")
	f.alice(t, sub).MustRun(t, "create", "clusterrole", "reader", "--verb=get", "--resource=configmaps")
	assert.Contains(t, s.Kubectl(sub).MustRun(t, "get", "clusterrolebinding", "gantry:workspace-owner", "-o", "jsonpath={.subjects[0].name}"), "alice")
	_, _, err := s.KubectlAs(t, sub, bobToken).Run("get", "configmaps")
	require.Error(t, err, "bob is not in alice's new workspace")
}

// testRBACWhoamiAndCanI checks kubectl auth whoami, can-i and SubjectAccessReviews against each workspace's RBAC.
func testRBACWhoamiAndCanI(t *testing.T, f *rbacFixture) {
	s, teamA, teamB := f.s, f.teamA, f.teamB
	alice := func(ws string) *harness.Kubectl { return f.alice(t, ws) }
	who := alice(teamA).MustRun(t, "auth", "whoami")
	assert.Regexp(t, `Username\s+alice`, who)
	assert.Contains(t, who, "team-a")
	assert.Equal(t, "yes\n", alice(teamA).MustRun(t, "auth", "can-i", "create", "configmaps"))
	assert.Equal(t, "yes\n", alice(teamA).MustRun(t, "auth", "can-i", "create", "clusterrolebindings"), "alice is admin in team-a")
	out, _, err := alice(teamA).Run("auth", "can-i", "bind", "clusterroles")
	require.Error(t, err, "can-i exits 1 for no")
	assert.Equal(t, "no\n", out, "admin does not hold bind")
	out, _, _ = f.carol(t, teamA).Run("auth", "can-i", "create", "configmaps")
	assert.Equal(t, "no\n", out)
	assert.Contains(t, f.carol(t, teamA).MustRun(t, "auth", "can-i", "--list", "-n", "default"), "configmaps")
	_, errOut, err := alice(teamB).Run("auth", "can-i", "get", "configmaps")
	require.Error(t, err, "alice cannot even ask in team-b")
	assert.Contains(t, errOut, "access to the workspace is denied")
	assert.Equal(t, "yes\n", s.Kubectl(teamA).MustRun(t, "auth", "can-i", "create", "configmaps", "--as=alice"))

	sar := "apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\nspec:\n  user: alice\n  resourceAttributes: {verb: get, resource: configmaps, namespace: default}\n"
	assert.Equal(t, "true", s.Kubectl(teamA).WithStdin(sar).MustRun(t, "create", "-f", "-", "-o", "jsonpath={.status.allowed}"))
	assert.Equal(t, "false access to the workspace is denied",
		s.Kubectl(teamB).WithStdin(sar).MustRun(t, "create", "-f", "-", "-o", "jsonpath={.status.allowed} {.status.reason}"))
}

// auditEvent is the part of an audit log line that the audit subtests read.
type auditEvent struct {
	Verb           string                    `json:"verb"`
	Stage          string                    `json:"stage"`
	RequestURI     string                    `json:"requestURI"`
	User           struct{ Username string } `json:"user"`
	ObjectRef      struct{ Name string }     `json:"objectRef"`
	Annotations    map[string]string         `json:"annotations"`
	ResponseStatus struct{ Code int }        `json:"responseStatus"`
}

// readAuditEvents returns the events of the audit log at path, skipping lines that do not parse.
func readAuditEvents(t *testing.T, path string) []auditEvent {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var events []auditEvent
	for _, line := range strings.Split(string(data), "\n") {
		var ev auditEvent
		if json.Unmarshal([]byte(line), &ev) == nil {
			events = append(events, ev)
		}
	}
	return events
}

// testRBACAuditNamesWorkspace checks that audit events of allowed and denied creates carry the workspace's cluster.
func testRBACAuditNamesWorkspace(t *testing.T, f *rbacFixture) {
	f.alice(t, f.teamA).MustRun(t, "create", "configmap", "audited")
	_, _, err := f.alice(t, f.teamB).Run("create", "configmap", "audited")
	require.Error(t, err)
	var allowed, denied bool
	require.Eventually(t, func() bool {
		for _, ev := range readAuditEvents(t, f.auditLog) {
			if ev.Verb != "create" || ev.User.Username != "alice" || ev.Stage != "ResponseComplete" {
				continue
			}
			switch {
			case ev.Annotations["gantry.dev/workspace"] == f.clusterA && ev.ResponseStatus.Code == 201:
				allowed = true
			case ev.Annotations["gantry.dev/workspace"] == f.clusterB && ev.ResponseStatus.Code == 403:
				denied = true
			}
		}
		return allowed && denied
	}, 20*time.Second, 200*time.Millisecond, "allowed %v, denied %v", allowed, denied)
}

// testRBACRefusedPathAudited checks that a request to a malformed workspace path gets 400 and is still audited.
func testRBACRefusedPathAudited(t *testing.T, f *rbacFixture) {
	cfg, err := f.s.RESTConfigAs("root", aliceToken)
	require.NoError(t, err)
	client, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d/clusters/Bad_Name/api/v1/namespaces", f.s.Port))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Eventually(t, func() bool {
		for _, ev := range readAuditEvents(t, f.auditLog) {
			if ev.RequestURI == "/clusters/Bad_Name/api/v1/namespaces" &&
				ev.Stage == "ResponseComplete" && ev.User.Username == "alice" && ev.ResponseStatus.Code == http.StatusBadRequest {
				return true
			}
		}
		return false
	}, 20*time.Second, 200*time.Millisecond)
}

// testRBACServiceAccountToken checks that a ServiceAccount token works in its own workspace only, and until deleted.
func testRBACServiceAccountToken(t *testing.T, f *rbacFixture) {
	s, teamA, teamB := f.s, f.teamA, f.teamB
	for _, ws := range []string{teamA, teamB} {
		s.Kubectl(ws).MustRun(t, "create", "serviceaccount", "runner")
		s.Kubectl(ws).MustRun(t, "create", "rolebinding", "runner-view", "--clusterrole=view", "--serviceaccount=default:runner")
	}
	token := strings.TrimSpace(s.Kubectl(teamA).MustRun(t, "create", "token", "runner"))
	require.NotEmpty(t, token)
	runnerA := s.KubectlAs(t, teamA, token)
	assert.Equal(t, "llama", runnerA.MustRun(t, "get", "configmap", "model", "-o", "jsonpath={.data.name}"))
	assert.Regexp(t, `Username\s+system:serviceaccount:default:runner`, runnerA.MustRun(t, "auth", "whoami"))

	_, errOut, err := s.KubectlAs(t, teamB, token).Run("get", "configmaps", "-n", "default")
	require.Error(t, err, "team-a's token is refused in team-b, where a ServiceAccount of the same name exists")
	assert.Contains(t, errOut, "Unauthorized")
	_, _, err = s.KubectlAs(t, "root", token).Run("get", "configmaps")
	require.Error(t, err)

	_, errOut, err = f.alice(t, teamA).Run("create", "token", "nobody")
	require.Error(t, err)
	assert.Contains(t, errOut, "not found")

	s.Kubectl(teamA).MustRun(t, "delete", "serviceaccount", "runner")
	require.Eventually(t, func() bool {
		_, _, err := runnerA.Run("get", "configmaps")
		return err != nil
	}, 20*time.Second, 200*time.Millisecond, "a deleted ServiceAccount's token stops working")
}

// testRBACUnauthenticated checks that a request with an unknown token gets 401.
func testRBACUnauthenticated(t *testing.T, f *rbacFixture) {
	_, errOut, err := f.s.KubectlAs(t, f.teamA, "not-a-token").Run("get", "configmaps")
	require.Error(t, err)
	assert.True(t, strings.Contains(errOut, "Unauthorized") || strings.Contains(errOut, "provide credentials"), errOut)
}
