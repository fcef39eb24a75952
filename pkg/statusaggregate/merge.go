package statusaggregate

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/json"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/health"
)

// View is one cluster's report of an object's status: the JSON its syncer wrote into its status annotation.
type View struct {
	// Cluster names the cluster: its SyncTarget's name, or the target key when the target is not known.
	Cluster string
	// Status is the downstream copy's status as JSON.
	Status string
	// Lost, when set, says why the report may be out of date: the cluster's SyncTarget is not Ready (its syncer
	// stopped reporting). The merges then count the cluster as Unknown, naming it and why, instead of trusting
	// its last report.
	Lost string
}

// TargetOf describes the SyncTarget of a target key: its name (the key itself when no known target has it) and,
// when it is not Ready, why (View.Lost).
type TargetOf func(key string) (name, lost string)

// Views returns the views an object carries from the targets it is placed on (state label Sync), in cluster name
// order. A view of a target the object is leaving (or left) is stale and ignored. target names each cluster and
// says whether it is lost; a view that is not a JSON object is an error, naming its cluster.
func Views(labels, annotations map[string]string, target TargetOf) ([]View, error) {
	var views []View
	for k, v := range annotations {
		key, ok := strings.CutPrefix(k, computev1alpha1.StatusAnnotationPrefix)
		if !ok || labels[computev1alpha1.StateLabelPrefix+key] != computev1alpha1.ResourceStateSync {
			continue
		}
		name, lost := target(key)
		var probe map[string]interface{}
		if err := json.Unmarshal([]byte(v), &probe); err != nil {
			return nil, fmt.Errorf("the status view of cluster %s (annotation %s) is not a JSON object: %v", name, k, err)
		}
		views = append(views, View{Cluster: name, Status: v, Lost: lost})
	}
	sort.Slice(views, func(i, j int) bool { return views[i].Cluster < views[j].Cluster })
	return views, nil
}

// Merge aggregates views (in cluster name order, at least one) into the status of an object of resource gr.
func Merge(gr schema.GroupResource, views []View) (map[string]interface{}, error) {
	if len(views) == 0 {
		return nil, fmt.Errorf("no status view to merge")
	}
	switch gr {
	case schema.GroupResource{Group: appsv1.GroupName, Resource: "deployments"}:
		return MergeDeployment(views)
	case servingv1alpha1.SchemeGroupVersion.WithResource("inferenceservices").GroupResource():
		return MergeInferenceService(views)
	default:
		return MergeFirst(views)
	}
}

// MergeFirst is the status of the first cluster in name order that is not lost (the first one when all are):
// for a resource whose status has no known meaning, one real cluster's view beats an invented blend.
func MergeFirst(views []View) (map[string]interface{}, error) {
	first := views[0]
	for _, v := range views {
		if v.Lost == "" {
			first = v
			break
		}
	}
	var out map[string]interface{}
	if err := json.Unmarshal([]byte(first.Status), &out); err != nil {
		return nil, fmt.Errorf("decoding the status of cluster %s: %w", first.Cluster, err)
	}
	return out, nil
}

// ReasonClusterNotReady is the reason of what a lost cluster (View.Lost) reports in an aggregate: Unknown
// Available and Progressing conditions of a Deployment, the Unknown health of an InferenceService.
const ReasonClusterNotReady = "ClusterNotReady"

// MergeDeployment aggregates Deployment statuses: replicas, updatedReplicas, readyReplicas, availableReplicas and
// unavailableReplicas are summed; observedGeneration is the minimum (the aggregate has observed no more than its
// slowest cluster); conditions are merged by MergeDeploymentConditions; the rest comes from the first cluster.
func MergeDeployment(views []View) (map[string]interface{}, error) {
	statuses := make([]appsv1.DeploymentStatus, len(views))
	for i, v := range views {
		if err := json.Unmarshal([]byte(v.Status), &statuses[i]); err != nil {
			return nil, fmt.Errorf("decoding the Deployment status of cluster %s: %w", v.Cluster, err)
		}
		if v.Lost != "" {
			markDeploymentLost(&statuses[i], v.Lost)
		}
	}
	out := *statuses[0].DeepCopy()
	out.Replicas, out.UpdatedReplicas, out.ReadyReplicas, out.AvailableReplicas, out.UnavailableReplicas = 0, 0, 0, 0, 0
	for i, s := range statuses {
		out.Replicas += s.Replicas
		out.UpdatedReplicas += s.UpdatedReplicas
		out.ReadyReplicas += s.ReadyReplicas
		out.AvailableReplicas += s.AvailableReplicas
		out.UnavailableReplicas += s.UnavailableReplicas
		if i == 0 || s.ObservedGeneration < out.ObservedGeneration {
			out.ObservedGeneration = s.ObservedGeneration
		}
	}
	out.Conditions = MergeDeploymentConditions(views, statuses)
	return runtime.DefaultUnstructuredConverter.ToUnstructured(&out)
}

// markDeploymentLost turns a lost cluster's Available and Progressing conditions Unknown, saying why: its last
// counts stay (nothing newer is known), but nobody can vouch that they still hold.
func markDeploymentLost(s *appsv1.DeploymentStatus, lost string) {
	for _, t := range []appsv1.DeploymentConditionType{appsv1.DeploymentAvailable, appsv1.DeploymentProgressing} {
		c := appsv1.DeploymentCondition{Type: t, Status: corev1.ConditionUnknown, Reason: ReasonClusterNotReady, Message: lost}
		if old := findCondition(s.Conditions, t); old != nil {
			c.LastUpdateTime, c.LastTransitionTime = old.LastUpdateTime, old.LastTransitionTime
			*old = c
		} else {
			s.Conditions = append(s.Conditions, c)
		}
	}
}

// goodWhenTrue are the Deployment conditions that say things are well when True; for any other type (such as
// ReplicaFailure) True is the bad news.
var goodWhenTrue = map[appsv1.DeploymentConditionType]bool{appsv1.DeploymentAvailable: true, appsv1.DeploymentProgressing: true}

// MergeDeploymentConditions merges the conditions of each type, in the order they first appear. Available and
// Progressing are True only when True on every cluster; otherwise the merged condition is the first cluster's
// that is not True (or Unknown for a cluster that does not report the type), its message naming the cluster. For
// other types the first True one wins, also naming its cluster, else the first cluster's.
func MergeDeploymentConditions(views []View, statuses []appsv1.DeploymentStatus) []appsv1.DeploymentCondition {
	var order []appsv1.DeploymentConditionType
	seen := map[appsv1.DeploymentConditionType]bool{}
	for _, s := range statuses {
		for _, c := range s.Conditions {
			if !seen[c.Type] {
				seen[c.Type] = true
				order = append(order, c.Type)
			}
		}
	}
	var out []appsv1.DeploymentCondition
	for _, t := range order {
		out = append(out, mergeCondition(t, views, statuses))
	}
	return out
}

func mergeCondition(t appsv1.DeploymentConditionType, views []View, statuses []appsv1.DeploymentStatus) appsv1.DeploymentCondition {
	var first *appsv1.DeploymentCondition
	for i, s := range statuses {
		c := findCondition(s.Conditions, t)
		if c == nil {
			if goodWhenTrue[t] {
				return appsv1.DeploymentCondition{Type: t, Status: corev1.ConditionUnknown, Reason: "NotReported",
					Message: fmt.Sprintf("cluster %s: no %s condition reported yet", views[i].Cluster, t)}
			}
			continue
		}
		if first == nil {
			first = c
		}
		bad := c.Status != corev1.ConditionTrue
		if !goodWhenTrue[t] {
			bad = c.Status == corev1.ConditionTrue
		}
		if bad {
			named := *c
			named.Message = fmt.Sprintf("cluster %s: %s", views[i].Cluster, c.Message)
			return named
		}
	}
	merged := *first
	if len(views) > 1 {
		merged.Message = fmt.Sprintf("on all %d clusters (%s: %s)", len(views), clusterOfCondition(views, statuses, t), first.Message)
	}
	return merged
}

// clusterOfCondition names the first cluster reporting the condition type.
func clusterOfCondition(views []View, statuses []appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) string {
	for i, s := range statuses {
		if findCondition(s.Conditions, t) != nil {
			return views[i].Cluster
		}
	}
	return ""
}

func findCondition(conditions []appsv1.DeploymentCondition, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range conditions {
		if conditions[i].Type == t {
			return &conditions[i]
		}
	}
	return nil
}

// MergeInferenceService aggregates InferenceService statuses: health is the worst of the clusters' (pkg/health's
// order; the first in name order on a tie), its message naming the cluster; status.clusters[] has one row per
// cluster; replicas and readyReplicas are summed and ready is "readyReplicas/replicas"; components are every
// cluster's, each with its cluster set; the rest (url, conditions, model, revision, ...) is the first Healthy
// cluster's, or the first cluster's when none is.
func MergeInferenceService(views []View) (map[string]interface{}, error) {
	statuses := make([]servingv1alpha1.InferenceServiceStatus, len(views))
	for i, v := range views {
		if err := json.Unmarshal([]byte(v.Status), &statuses[i]); err != nil {
			return nil, fmt.Errorf("decoding the InferenceService status of cluster %s: %w", v.Cluster, err)
		}
		if v.Lost != "" {
			last := withState(statuses[i].Health).State
			statuses[i].Health = servingv1alpha1.Health{State: servingv1alpha1.HealthUnknown, Reason: ReasonClusterNotReady,
				Message: fmt.Sprintf("%s; its last report said %s", v.Lost, last)}
		}
	}
	base, worst := -1, 0
	for i, s := range statuses {
		if base < 0 && s.Health.State == servingv1alpha1.HealthHealthy {
			base = i
		}
		if stateOf(s.Health).WorseThan(stateOf(statuses[worst].Health)) {
			worst = i
		}
	}
	if base < 0 {
		base = 0
	}
	out := *statuses[base].DeepCopy()
	out.Replicas, out.ReadyReplicas, out.Components, out.Clusters = 0, 0, nil, nil
	for i, s := range statuses {
		out.Replicas += s.Replicas
		out.ReadyReplicas += s.ReadyReplicas
		out.Clusters = append(out.Clusters, servingv1alpha1.ClusterHealth{Name: views[i].Cluster, Health: withState(s.Health),
			Replicas: s.Replicas, ReadyReplicas: s.ReadyReplicas})
		for _, c := range s.Components {
			c.Cluster = views[i].Cluster
			out.Components = append(out.Components, c)
		}
	}
	out.Ready = fmt.Sprintf("%d/%d", out.ReadyReplicas, out.Replicas)
	out.Health = aggregateHealth(views, statuses, worst)
	return runtime.DefaultUnstructuredConverter.ToUnstructured(&out)
}

// aggregateHealth is the worst cluster's health, its message naming the cluster once; when every cluster is
// Healthy it says so.
func aggregateHealth(views []View, statuses []servingv1alpha1.InferenceServiceStatus, worst int) servingv1alpha1.Health {
	h := withState(statuses[worst].Health)
	if h.State == servingv1alpha1.HealthHealthy {
		names := make([]string, len(views))
		for i, v := range views {
			names[i] = v.Cluster
		}
		h.Message = fmt.Sprintf("Healthy on all %d clusters (%s)", len(views), strings.Join(names, ", "))
		return h
	}
	named := "cluster " + views[worst].Cluster + ": "
	switch {
	case h.Message == "":
		h.Message = fmt.Sprintf("cluster %s is %s", views[worst].Cluster, h.State)
	case !strings.HasPrefix(h.Message, named):
		// An operator started with --cluster-name equal to the target's name names the cluster already.
		h.Message = named + h.Message
	}
	return h
}

// withState fills in Unknown for a cluster that reported no health yet.
func withState(h servingv1alpha1.Health) servingv1alpha1.Health {
	if h.State == "" {
		h.State = servingv1alpha1.HealthUnknown
	}
	return h
}

func stateOf(h servingv1alpha1.Health) health.State { return health.State(withState(h).State) }
