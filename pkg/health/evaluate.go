package health

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Evaluate judges one service in one cluster: its Deployment (nil when it does not exist) and the pods it owns. It
// returns the component tree, Deployment → pods (by name) → containers, and the overall Result, which is
// Aggregate of that tree.
func Evaluate(deployment *appsv1.Deployment, pods []corev1.Pod, opts Options) (Component, Result) {
	opts = opts.withDefaults()
	root := Component{Kind: KindDeployment, Name: opts.DeploymentName, Cluster: opts.Cluster,
		Result: DeploymentHealth(deployment)}
	if deployment != nil {
		root.Name = deployment.Name
	}
	order := make([]int, len(pods))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return pods[order[a]].Name < pods[order[b]].Name })
	root.Children = make([]Component, 0, len(pods))
	for _, i := range order {
		root.Children = append(root.Children, PodHealth(&pods[i], opts))
	}
	return root, Aggregate(root)
}

// Aggregate merges component trees, typically one per cluster, into one Result. The worst state wins (see
// Severity). Among components in that state, a failure (Degraded, Missing, Unknown) is explained by the most
// specific one, a pod before its Deployment, because the pod says why; a good or moving state (Healthy,
// Suspended, Progressing) by the least specific one, the Deployment, because it sums up. Containers are not
// candidates: a pod's result already names its container. Remaining ties go to the first in the order given.
//
// The message names the cluster and the component, "cluster gpu-east: pod infer-0: CrashLoopBackOff: ...", and,
// for a failure, counts the other components in the same state. With no components the result is Unknown, NoData.
func Aggregate(trees ...Component) Result {
	var best *candidate
	same := 0
	for i := range trees {
		walk(&trees[i], 0, func(c *Component, depth int) {
			cand := &candidate{c, depth}
			switch {
			case best == nil || c.State.WorseThan(best.State):
				best, same = cand, 0
			case c.State == best.State:
				same++
				if cand.moreTelling(best) {
					best = cand
				}
			}
		})
	}
	if best == nil {
		return Result{State: Unknown, Reason: ReasonNoData, Message: "no component has been reported"}
	}
	var msg strings.Builder
	if best.Cluster != "" {
		fmt.Fprintf(&msg, "cluster %s: ", best.Cluster)
	}
	fmt.Fprintf(&msg, "%s %s: %s", strings.ToLower(best.Kind), best.Name, best.Reason)
	if best.Message != "" {
		msg.WriteString(": " + best.Message)
	}
	if same > 0 && best.failure() {
		fmt.Fprintf(&msg, " (and %d more %s)", same, best.State)
	}
	return Result{State: best.State, Reason: best.Reason, Message: msg.String()}
}

// candidate is a component considered by Aggregate, with its depth in its tree.
type candidate struct {
	*Component
	depth int
}

// failure reports whether the candidate's state is a failure, one the most specific component explains.
func (c *candidate) failure() bool {
	return c.State == Degraded || c.State == Missing || c.State == Unknown
}

// moreTelling reports whether c explains a shared state better than other.
func (c *candidate) moreTelling(other *candidate) bool {
	if c.failure() {
		return c.depth > other.depth
	}
	return c.depth < other.depth
}

// walk calls fn on c and every component below it, except containers, depth first.
func walk(c *Component, depth int, fn func(*Component, int)) {
	if c.Kind == KindContainer {
		return
	}
	fn(c, depth)
	for i := range c.Children {
		walk(&c.Children[i], depth+1, fn)
	}
}

// NotReported is the component of a service in a cluster that has sent no data about it yet, for Aggregate:
// Unknown, NoData.
func NotReported(cluster, deploymentName string) Component {
	return Component{Kind: KindDeployment, Name: deploymentName, Cluster: cluster, Result: Result{State: Unknown,
		Reason: ReasonNoData, Message: "the cluster has not reported"}}
}
