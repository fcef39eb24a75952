package conformance

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	specA = "[sig-api-machinery] Watchers should observe add, update, and delete watch notifications on configmaps [Conformance]"
	specB = "[sig-api-machinery] Discovery should locate the groupVersion and a resource within each APIGroup [Conformance]"
	specC = "[sig-api-machinery] Garbage collector should delete RS created by deployment when not orphaning [Conformance]"
	specD = "[sig-api-machinery] Namespaces [Serial] should apply changes to a namespace status [Conformance]"
)

func TestParseList(t *testing.T) {
	entries, err := ParseList("l.txt", strings.NewReader("# a comment\n\n"+specA+" | needs pods\n  "+specB+" | why | with a bar\n"))
	require.NoError(t, err)
	assert.Equal(t, []Entry{{Spec: specA, Why: "needs pods", Line: 3}, {Spec: specB, Why: "why | with a bar", Line: 4}}, entries)
}

func TestParseListRefusesBadLines(t *testing.T) {
	for name, text := range map[string]string{
		"no reason":     specA + "\n",
		"empty reason":  specA + " | \n",
		"empty spec":    " | reason\n",
		"listed twice":  specA + " | one\n" + specA + " | two\n",
		"bar no spaces": specA + "|reason\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseList("l.txt", strings.NewReader(text))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "l.txt:")
		})
	}
}

func TestParseListTests(t *testing.T) {
	out := "The following spec names can be used with 'ginkgo run --focus/skip':\n" +
		"    gantry.test/e2e/apimachinery/watch.go:60: " + specA + "\n" +
		"    k8s.io/kubernetes@v1.37.2/test/e2e/apps/cronjob.go:201: [sig-apps] CronJob should be able to schedule\n" +
		"    gantry.test/e2e/apimachinery/discovery.go:120: " + specB + "\n\n"
	assert.Equal(t, []string{specB, specA}, ParseListTests(out, "gantry.test/e2e/apimachinery/"))
}

func TestNewPlan(t *testing.T) {
	all := []string{specA, specB, specC, specD}
	plan, err := NewPlan(all, []Entry{{Spec: specC, Why: "needs pods"}}, []Entry{{Spec: specD, Why: "namespaces-status: 404"}}, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{specB, specD, specA}, plan.Run)
	assert.Equal(t, map[string]string{specD: "namespaces-status: 404"}, plan.KnownFailing)

	// Ginkgo matches the focus against the suite's description, a space and the spec's full text.
	focus := regexp.MustCompile(plan.FocusRegexp())
	for _, s := range plan.Run {
		assert.True(t, focus.MatchString("Gantry api-machinery conformance "+s), s)
	}
	assert.False(t, focus.MatchString("Gantry api-machinery conformance "+specC), "a skipped spec is not focused")
	assert.False(t, focus.MatchString("Gantry api-machinery conformance "+specA+" more"), "the focus matches whole texts only")
	assert.False(t, focus.MatchString("Gantry api-machinery conformance x"+specA), "the focus matches whole texts only")

	narrowed, err := NewPlan(all, nil, nil, regexp.MustCompile("Namespaces"))
	require.NoError(t, err)
	assert.Equal(t, []string{specD}, narrowed.Run)
}

func TestNewPlanRefusesStaleLists(t *testing.T) {
	all := []string{specA, specB}
	_, err := NewPlan(all, []Entry{{Spec: specC, Why: "gone", Line: 7}}, nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "skip list line 7 names no spec of the binary")

	_, err = NewPlan(all, nil, []Entry{{Spec: specD, Why: "x: y", Line: 3}}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "known-failing list line 3 names no spec of the binary")

	_, err = NewPlan(all, []Entry{{Spec: specA, Why: "a"}}, []Entry{{Spec: specA, Why: "b", Line: 2}}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "names a skipped spec")
}

func TestParseGinkgoReport(t *testing.T) {
	report := `[{"SpecReports":[
	 {"ContainerHierarchyTexts":["[sig-api-machinery] Watchers"],"LeafNodeText":"should observe add, update, and delete watch notifications on configmaps [Conformance]","LeafNodeType":"It","State":"passed"},
	 {"ContainerHierarchyTexts":["[sig-api-machinery] Namespaces [Serial]"],"LeafNodeText":"should apply changes to a namespace status [Conformance]","LeafNodeType":"It","State":"failed",
	  "Failure":{"Message":"the server could not find the requested resource","FailureNodeType":"It","Location":{"FileName":"namespace.go","LineNumber":42}}},
	 {"LeafNodeType":"SynchronizedBeforeSuite","State":"passed"}
	]}]`
	results, err := ParseGinkgoReport([]byte(report))
	require.NoError(t, err)
	assert.Equal(t, map[string]Result{
		specA: {State: "passed"},
		specD: {State: "failed", Failure: "the server could not find the requested resource (in It at namespace.go:42)"},
	}, results)

	_, err = ParseGinkgoReport([]byte("{not json"))
	assert.Error(t, err)
}

func TestJudge(t *testing.T) {
	plan := &Plan{
		Run:          []string{"fixed", "known", "new failure", "missing", "passes", "skipped by ginkgo"},
		KnownFailing: map[string]string{"known": "discovery-storage-version-hash: no hash", "fixed": "namespaces-status: 404"},
	}
	results := map[string]Result{
		"fixed":             {State: "passed"},
		"known":             {State: "failed", Failure: "no storageVersionHash\nmore"},
		"new failure":       {State: "timedout", Failure: "timed out"},
		"passes":            {State: "passed"},
		"skipped by ginkgo": {State: "skipped"},
	}
	judged := Judge(plan, results)
	verdicts := map[string]Verdict{}
	for _, j := range judged {
		verdicts[j.Spec] = j.Verdict
	}
	assert.Equal(t, map[string]Verdict{
		"fixed": FixedButListed, "known": KnownFailure, "new failure": UnexpectedFailure, "missing": NotRun,
		"passes": Passed, "skipped by ginkgo": NotRun,
	}, verdicts)
	for _, j := range judged {
		assert.Equal(t, j.Verdict == UnexpectedFailure || j.Verdict == NotRun, j.Verdict.Unexpected(), j.Spec)
	}

	summary := Summary(plan, judged)
	assert.Contains(t, summary, "FAIL (known)      known\n")
	assert.Contains(t, summary, "discovery-storage-version-hash: no hash; failed: no storageVersionHash ...")
	assert.Contains(t, summary, "PASS (PRUNE)      fixed\n")
	assert.Contains(t, summary, "6 run: 2 passed, 1 known failing, 1 unexpected failures, 2 not run, 1 passed but listed as known failing")
}

// knownFailingWhy is the form of a known-failing line's why: the issue item, a colon, the reason.
var knownFailingWhy = regexp.MustCompile(`^[a-z0-9-]+: \S`)

// TestListsParse keeps the repository's lists well formed even where the e2e binary is not built; make
// conformance checks them against the binary's specs.
func TestListsParse(t *testing.T) {
	for _, name := range []string{"skip.txt", "known-failing.txt"} {
		f, err := os.Open(name)
		require.NoError(t, err)
		entries, err := ParseList(name, f)
		f.Close()
		require.NoError(t, err, name)
		for _, e := range entries {
			assert.True(t, strings.HasPrefix(e.Spec, "[sig-api-machinery] ") || e.Spec == NamespaceProvisioningCheck,
				"%s:%d: %s", name, e.Line, e.Spec)
			if name == "known-failing.txt" {
				assert.Regexp(t, knownFailingWhy, e.Why, "%s:%d: want `<item>: <why>`", name, e.Line)
			}
		}
	}
}
