package syncer

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// ConditionPodScheduled is the condition the syncer adds to an upstream workload's status while some of its
// downstream pods cannot be scheduled: the downstream scheduler's reason, where the team sees it.
const ConditionPodScheduled = "PodScheduled"

// pendingPods is the field selector of the pods the scheduler has not placed.
const pendingPods = "spec.nodeName=,status.phase=Pending"

// workloadGroups are the groups of resources whose pods the syncer reports: their spec.selector selects them.
var workloadGroups = map[string]bool{"apps": true, "batch": true}

// TrimPendingPod keeps of an unscheduled pod (an informer transform) its name, namespace, labels and the
// PodScheduled condition.
func TrimPendingPod(obj interface{}) (interface{}, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	out := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: p.Labels, UID: p.UID,
		ResourceVersion: p.ResourceVersion}}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			out.Status.Conditions = []corev1.PodCondition{c}
		}
	}
	return out, nil
}

// ReportsPendingPods says whether the status the syncer copies up for objects of gvr shows their unscheduled pods
// (withSchedulingCondition): only workloads do, so only their objects are reconciled again when a pod's scheduling
// changes. Every new pod is briefly unscheduled; re-enqueueing every object of its namespace (InferenceServices,
// Models, ConfigMaps, ...) made each launch cost work in proportion to what the namespace already held.
func ReportsPendingPods(gvr schema.GroupVersionResource) bool { return workloadGroups[gvr.Group] }

// watchPendingPods starts an informer of unscheduled pods; a change re-enqueues the workloads whose status it
// changes: those of the pod's namespace whose selector selects it (podSchedulingChanged).
func (s *Syncer) watchPendingPods(stop <-chan struct{}) {
	factory := informers.NewSharedInformerFactoryWithOptions(s.down, s.cfg.Resync,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = pendingPods }),
		informers.WithTransform(TrimPendingPod))
	inf := factory.Core().V1().Pods()
	s.pendingPods = inf.Lister()
	changed := func(objs ...interface{}) {
		for _, obj := range objs {
			if p, ok := unwrap(obj).(*corev1.Pod); ok {
				s.podSchedulingChanged(p)
			}
		}
	}
	_, _ = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { changed(obj) },
		UpdateFunc: func(old, obj interface{}) { changed(old, obj) }, // labels may have changed: both selections
		DeleteFunc: func(obj interface{}) { changed(obj) },
	})
	s.typedSynced = append(s.typedSynced, inf.Informer().HasSynced)
	factory.Start(stop)
}

// podSchedulingChanged enqueues (coalesced, see enqueueCoalesced) the upstream objects of the workload copies in
// the pod's namespace whose spec.selector selects it: the only ones whose status withSchedulingCondition changes.
// Every new pod is briefly unscheduled and then leaves the informer; re-enqueueing every workload of its namespace
// instead made each pod cost as many reconciles as the namespace holds workloads (50 x 1,000 in a failover of 1,000
// Deployments), which crowded the queue ahead of the copies still to create.
func (s *Syncer) podSchedulingChanged(pod *corev1.Pod) {
	podLabels := labels.Set(pod.Labels)
	for _, r := range s.resources() {
		if !ReportsPendingPods(r.gvr) {
			continue
		}
		copies, _ := r.downstream.GetIndexer().ByIndex(cache.NamespaceIndex, pod.Namespace)
		for _, obj := range copies {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			if selector := workloadSelector(u); selector != nil && selector.Matches(podLabels) {
				s.enqueueCoalesced(r.gvr, u)
			}
		}
	}
}

// workloadSelector is a workload's spec.selector, or nil when it has none, an invalid one, or an empty one (which
// the syncer does not take to select every pod).
func workloadSelector(u *unstructured.Unstructured) labels.Selector {
	raw, found, _ := unstructured.NestedMap(u.Object, "spec", "selector")
	if !found {
		return nil
	}
	var ls metav1.LabelSelector
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &ls); err != nil {
		return nil
	}
	selector, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil || selector.Empty() {
		return nil
	}
	return selector
}

// withSchedulingCondition returns the status to copy up for a workload: the downstream status with a
// PodScheduled condition added while pods it selects are unschedulable. Other resources keep theirs as it is.
func (s *Syncer) withSchedulingCondition(group string, downstream *unstructured.Unstructured) *unstructured.Unstructured {
	if !workloadGroups[group] || s.pendingPods == nil {
		return downstream
	}
	selector := workloadSelector(downstream)
	if selector == nil {
		return downstream
	}
	pods, _ := s.pendingPods.Pods(downstream.GetNamespace()).List(selector)
	reason := UnschedulableReason(pods)
	if reason == "" {
		return downstream
	}
	out := downstream.DeepCopy()
	conditions, _, _ := unstructured.NestedSlice(out.Object, "status", "conditions")
	conditions = append(conditions, map[string]interface{}{"type": ConditionPodScheduled, "status": "False",
		"reason": corev1.PodReasonUnschedulable, "message": reason})
	_ = unstructured.SetNestedSlice(out.Object, conditions, "status", "conditions")
	return out
}

// UnschedulableReason is the scheduler's message of the pods that cannot be scheduled, each distinct message once,
// sorted; empty when none is unschedulable.
func UnschedulableReason(pods []*corev1.Pod) string {
	seen := map[string]bool{}
	for _, p := range pods {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				seen[c.Message] = true
			}
		}
	}
	messages := make([]string, 0, len(seen))
	for m := range seen {
		messages = append(messages, m)
	}
	sort.Strings(messages)
	return strings.Join(messages, "; ")
}
