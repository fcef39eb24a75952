package conformance

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// NamespaceProvisioningCheck names, in the lists and the printed results, the runner's own check that a new
// namespace of the workspace gets its default ServiceAccount and kube-root-ca.crt ConfigMap. Upstream's framework
// waits for both before each spec; while they do not come, the runner checks once and turns that wait off, so that
// the specs still report on everything else.
const NamespaceProvisioningCheck = "[gantry] a new namespace gets the ServiceAccount default and the ConfigMap kube-root-ca.crt " +
	"(the framework's --e2e-verify-service-account wait before each spec)"

// Entry is one line of a spec list: a spec's full Ginkgo text and why it is on the list.
type Entry struct {
	Spec string
	Why  string
	Line int
}

// ParseList reads a spec list, one `<spec full text> | <why>` a line; blank lines and lines starting with # are
// ignored. name only labels errors.
func ParseList(name string, r io.Reader) ([]Entry, error) {
	var entries []Entry
	seen := map[string]int{}
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; scanner.Scan(); n++ {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		spec, why, ok := strings.Cut(line, " | ")
		spec, why = strings.TrimSpace(spec), strings.TrimSpace(why)
		if !ok || spec == "" || why == "" {
			return nil, fmt.Errorf("%s:%d: want `<spec full text> | <why>`, got %q", name, n, line)
		}
		if first, dup := seen[spec]; dup {
			return nil, fmt.Errorf("%s:%d: spec listed twice (first on line %d): %s", name, n, first, spec)
		}
		seen[spec] = n
		entries = append(entries, Entry{Spec: spec, Why: why, Line: n})
	}
	return entries, scanner.Err()
}

// listTestsLine is a spec line of the e2e binary's --list-tests output: indented `file:line: full text`.
var listTestsLine = regexp.MustCompile(`^\s+(\S+):\d+: (.+)$`)

// ParseListTests returns the full texts of the specs that the e2e binary's --list-tests printed from files under
// dir (a package path ending in /), sorted. The binary also holds the specs of the upstream e2e packages that the
// api-machinery specs import (apps, common), which are no part of the run.
func ParseListTests(out, dir string) []string {
	var specs []string
	for _, line := range strings.Split(out, "\n") {
		if m := listTestsLine.FindStringSubmatch(line); m != nil && strings.HasPrefix(m[1], dir) {
			specs = append(specs, strings.TrimSpace(m[2]))
		}
	}
	sort.Strings(specs)
	return specs
}

// Plan is what one run does with every spec the binary holds.
type Plan struct {
	// Run are the specs to run, sorted.
	Run []string
	// Skipped are the specs that cannot apply to a workspace, with why.
	Skipped []Entry
	// KnownFailing maps a spec expected to fail to the issue item (and reason) it fails on.
	KnownFailing map[string]string
}

// NewPlan checks the lists against the specs the binary holds (all) and selects what to run: every spec not
// skipped whose text focus matches (nil: all). A list line that names no spec of the binary, or a spec on both
// lists, is an error: a stale list must not hide a spec.
func NewPlan(all []string, skip, knownFailing []Entry, focus *regexp.Regexp) (*Plan, error) {
	exists := map[string]bool{}
	for _, s := range all {
		exists[s] = true
	}
	var problems []string
	skipped := map[string]bool{}
	for _, e := range skip {
		if !exists[e.Spec] {
			problems = append(problems, fmt.Sprintf("skip list line %d names no spec of the binary: %s", e.Line, e.Spec))
		}
		skipped[e.Spec] = true
	}
	plan := &Plan{Skipped: skip, KnownFailing: map[string]string{}}
	for _, e := range knownFailing {
		if !exists[e.Spec] {
			problems = append(problems, fmt.Sprintf("known-failing list line %d names no spec of the binary: %s", e.Line, e.Spec))
		}
		if skipped[e.Spec] {
			problems = append(problems, fmt.Sprintf("known-failing list line %d names a skipped spec: %s", e.Line, e.Spec))
		}
		plan.KnownFailing[e.Spec] = e.Why
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("the spec lists do not match the binary:\n%s", strings.Join(problems, "\n"))
	}
	for _, s := range all {
		if !skipped[s] && (focus == nil || focus.MatchString(s)) {
			plan.Run = append(plan.Run, s)
		}
	}
	sort.Strings(plan.Run)
	return plan, nil
}

// FocusRegexp is a --ginkgo.focus expression that selects exactly the specs to run. Ginkgo matches it against
// the suite's description, a space and the spec's full text, so a spec's text must follow a space or the start.
func (p *Plan) FocusRegexp() string {
	quoted := make([]string, len(p.Run))
	for i, s := range p.Run {
		quoted[i] = regexp.QuoteMeta(s)
	}
	return "(?:^| )(?:" + strings.Join(quoted, "|") + ")$"
}

// Result is how one spec ended in a Ginkgo JSON report.
type Result struct {
	// State is Ginkgo's: passed, failed, skipped, panicked, timedout, interrupted, aborted, pending.
	State string
	// Failure is the failure message and where it came from, when the spec did not pass.
	Failure string
}

// ginkgoReport is the part of a Ginkgo JSON report (--ginkgo.json-report) that the runner reads.
type ginkgoReport struct {
	SpecReports []struct {
		ContainerHierarchyTexts []string
		LeafNodeText            string
		LeafNodeType            string
		State                   string
		Failure                 struct {
			Message  string
			Location struct {
				FileName   string
				LineNumber int
			}
			FailureNodeType string
		}
	}
}

// ParseGinkgoReport returns each It spec's result, keyed by its full text, from a Ginkgo JSON report.
func ParseGinkgoReport(data []byte) (map[string]Result, error) {
	var reports []ginkgoReport
	if err := json.Unmarshal(data, &reports); err != nil {
		return nil, fmt.Errorf("ginkgo JSON report: %w", err)
	}
	results := map[string]Result{}
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType != "It" {
				continue
			}
			text := strings.Join(append(append([]string{}, s.ContainerHierarchyTexts...), s.LeafNodeText), " ")
			res := Result{State: s.State}
			if s.State != "passed" && s.State != "skipped" && s.State != "pending" {
				f := s.Failure
				res.Failure = fmt.Sprintf("%s (in %s at %s:%d)", strings.TrimSpace(f.Message), f.FailureNodeType,
					f.Location.FileName, f.Location.LineNumber)
			}
			results[text] = res
		}
	}
	return results, nil
}

// Verdict is what a spec's result means against the known-failing list.
type Verdict string

const (
	// Passed is a spec that passed and is not on the known-failing list.
	Passed Verdict = "PASS"
	// KnownFailure is a spec that did not pass and is on the known-failing list.
	KnownFailure Verdict = "FAIL (known)"
	// UnexpectedFailure is a spec that did not pass and is not on the known-failing list: make conformance fails.
	UnexpectedFailure Verdict = "FAIL (UNEXPECTED)"
	// FixedButListed is a spec that passed although the known-failing list names it: prune the list.
	FixedButListed Verdict = "PASS (listed as known failing: remove it from the list)"
	// NotRun is a selected spec that the report does not show as run: make conformance fails.
	NotRun Verdict = "NOT RUN (UNEXPECTED)"
)

// Judged is one selected spec's outcome.
type Judged struct {
	Spec    string
	Verdict Verdict
	// Detail is the known-failing item for a listed spec, and the failure for one that did not pass.
	Detail string
}

// Judge gives every spec of the plan its verdict, in the plan's order.
func Judge(p *Plan, results map[string]Result) []Judged {
	out := make([]Judged, 0, len(p.Run))
	for _, spec := range p.Run {
		res, ran := results[spec]
		item, known := p.KnownFailing[spec]
		j := Judged{Spec: spec}
		switch {
		case !ran || res.State == "skipped" || res.State == "pending":
			j.Verdict, j.Detail = NotRun, "state "+res.State
			if !ran {
				j.Detail = "absent from the report"
			}
		case res.State == "passed" && known:
			j.Verdict, j.Detail = FixedButListed, item
		case res.State == "passed":
			j.Verdict = Passed
		case known:
			j.Verdict, j.Detail = KnownFailure, item+"; "+res.State+": "+firstLine(res.Failure)
		default:
			j.Verdict, j.Detail = UnexpectedFailure, res.State+": "+res.Failure
		}
		out = append(out, j)
	}
	return out
}

// Unexpected reports whether a verdict fails the run.
func (v Verdict) Unexpected() bool { return v == UnexpectedFailure || v == NotRun }

// Summary is the printed pass/fail list: one line a spec, then the skipped specs and the counts.
func Summary(p *Plan, judged []Judged) string {
	var b strings.Builder
	counts := map[Verdict]int{}
	for _, j := range judged {
		counts[j.Verdict]++
		fmt.Fprintf(&b, "%-17s %s\n", shortVerdict(j.Verdict), j.Spec)
		if j.Detail != "" {
			fmt.Fprintf(&b, "%-17s   %s\n", "", firstLine(j.Detail))
		}
	}
	for _, e := range p.Skipped {
		fmt.Fprintf(&b, "%-17s %s\n%-17s   %s\n", "SKIP", e.Spec, "", e.Why)
	}
	fmt.Fprintf(&b, "\n%d run: %d passed, %d known failing, %d unexpected failures, %d not run, "+
		"%d passed but listed as known failing; %d skipped as not applicable\n",
		len(judged), counts[Passed]+counts[FixedButListed], counts[KnownFailure], counts[UnexpectedFailure],
		counts[NotRun], counts[FixedButListed], len(p.Skipped))
	return b.String()
}

// shortVerdict is the verdict's column in the summary.
func shortVerdict(v Verdict) string {
	switch v {
	case FixedButListed:
		return "PASS (PRUNE)"
	case KnownFailure:
		return "FAIL (known)"
	case UnexpectedFailure:
		return "FAIL (UNEXPECTED)"
	case NotRun:
		return "NOT RUN"
	}
	return string(v)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
