package syncer

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// watchPendingPods starts an informer of unscheduled pods; a change re-enqueues the workloads (ReportsPendingPods)
// of the pod's namespace, so that their status shows why their pods wait.
func (s *Syncer) watchPendingPods(stop <-chan struct{}) {
	factory := informers.NewSharedInformerFactoryWithOptions(s.down, s.cfg.Resync,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = pendingPods }),
		informers.WithTransform(TrimPendingPod))
	inf := factory.Core().V1().Pods()
	s.pendingPods = inf.Lister()
	changed := func(obj interface{}) {
		p, ok := unwrap(obj).(*corev1.Pod)
		if !ok || s.namespaces == nil {
			return
		}
		if ns, err := s.namespaces.Get(p.Namespace); err == nil {
			if locator, err := ParseNamespaceLocator(ns.Annotations[NamespaceLocatorAnnotation]); err == nil {
				s.enqueueUpstreamNamespace(locator.Cluster, locator.Namespace, ReportsPendingPods)
			}
		}
	}
	_, _ = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: changed, UpdateFunc: func(_, obj interface{}) { changed(obj) }, DeleteFunc: changed,
	})
	s.typedSynced = append(s.typedSynced, inf.Informer().HasSynced)
	factory.Start(stop)
}

// withSchedulingCondition returns the status to copy up for a workload: the downstream status with a
// PodScheduled condition added while pods it selects are unschedulable. Other resources keep theirs as it is.
func (s *Syncer) withSchedulingCondition(group string, downstream *unstructured.Unstructured) *unstructured.Unstructured {
	if !workloadGroups[group] || s.pendingPods == nil {
		return downstream
	}
	raw, found, _ := unstructured.NestedMap(downstream.Object, "spec", "selector")
	if !found {
		return downstream
	}
	var ls metav1.LabelSelector
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &ls); err != nil {
		return downstream
	}
	selector, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil || selector.Empty() {
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
