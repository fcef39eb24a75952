package statusaggregate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/synctarget"
	"github.com/gantry-dev/gantry/sdk"
)

// watched is the running watch of one source.
type watched struct {
	informer *sdk.WildcardInformer
	stop     context.CancelFunc
}

// wantedSources are the resources some SyncTarget syncs and that have a status subresource: those of every
// APIExport a SyncTarget supports, as the export's virtual workspace serves them. Built-in resources (configmaps,
// secrets) have no status to aggregate.
func (c *Controller) wantedSources() map[source]bool {
	want := map[source]bool{}
	for _, cluster := range c.config.Targets.Clusters() {
		for _, target := range c.config.Targets.List(cluster) {
			for _, ref := range target.Spec.SupportedAPIExports {
				c.addExportSources(want, ref)
			}
		}
	}
	return want
}

func (c *Controller) addExportSources(want map[source]bool, ref computev1alpha1.ExportReference) {
	exportCluster, err := synctarget.ExportWorkspace(c.config.Workspaces, ref)
	if err != nil {
		return // the SyncTarget's APIExportsValid condition says so
	}
	for _, crd := range c.config.CRDs.Export(exportCluster, ref.Export) {
		if crd.Spec.Scope != "Namespaced" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Storage && v.Subresources != nil && v.Subresources.Status != nil {
				gvr := schema.GroupVersionResource{Group: crd.Spec.Group, Version: v.Name, Resource: crd.Spec.Names.Plural}
				want[source{path: ref.Path, export: ref.Export, gvr: gvr}] = true
			}
		}
	}
}

// syncWatches starts the watches of new sources and stops those no longer wanted.
func (c *Controller) syncWatches(ctx context.Context) {
	want := c.wantedSources()
	c.mu.Lock()
	defer c.mu.Unlock()
	for s, w := range c.watches {
		if !want[s] {
			w.stop()
			delete(c.watches, s)
		}
	}
	for s := range want {
		if _, ok := c.watches[s]; ok {
			continue
		}
		view, err := c.config.Clients.APIExport(s.path, s.export).Dynamic(sdk.Wildcard)
		if err != nil {
			klog.FromContext(ctx).Error(err, "watching status views", "export", s.path+"/"+s.export, "resource", s.gvr.String())
			continue
		}
		informer := sdk.NewDynamicWildcardInformer(view, s.gvr)
		informer.AddHandler(handler{source: s, queue: c.queue})
		watchCtx, stop := context.WithCancel(ctx)
		c.watches[s] = &watched{informer: informer, stop: stop}
		go informer.Run(watchCtx)
		klog.FromContext(ctx).V(2).Info("watching status views", "export", s.path+"/"+s.export, "resource", s.gvr.String())
	}
}

// stopAll stops every watch.
func (c *Controller) stopAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s, w := range c.watches {
		w.stop()
		delete(c.watches, s)
	}
}

// informerOf returns the running informer of a source, or nil once it stopped.
func (c *Controller) informerOf(s source) *sdk.WildcardInformer {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if w, ok := c.watches[s]; ok {
		return w.informer
	}
	return nil
}

// hasViews reports whether annotations hold at least two status views: only then is there anything to aggregate.
func hasViews(annotations map[string]string) bool {
	n := 0
	for k := range annotations {
		if strings.HasPrefix(k, computev1alpha1.StatusAnnotationPrefix) {
			n++
		}
	}
	return n >= 2
}

// targetOf turns a target key into its SyncTarget's name, or leaves the key when no known target has it, and says
// why the target is lost when it is not Ready (a target not known is not lost: nothing says it stopped).
func (c *Controller) targetOf(key string) (string, string) {
	for _, cluster := range c.config.Targets.Clusters() {
		for _, target := range c.config.Targets.List(cluster) {
			if computev1alpha1.TargetKey(string(cluster), target.Name) == key {
				return target.Name, lostBecause(target)
			}
		}
	}
	return key, ""
}

// lostBecause says why a SyncTarget's views may be out of date: it is not Ready. Empty while it is Ready.
func lostBecause(t *computev1alpha1.SyncTarget) string {
	if synctarget.IsReady(t) {
		return ""
	}
	ready := meta.FindStatusCondition(t.Status.Conditions, synctarget.ConditionReady)
	if ready == nil {
		return fmt.Sprintf("SyncTarget %s has not reported yet", t.Name)
	}
	return fmt.Sprintf("SyncTarget %s not Ready since %s (%s): %s", t.Name, ready.LastTransitionTime.UTC().Format(time.RFC3339), ready.Reason, ready.Message)
}

// noticeReadiness requeues the objects that carry views of a target whose readiness changed: their aggregate
// trusts its views again, or no longer does. The first sight of a target changes nothing.
func (c *Controller) noticeReadiness(cluster logicalcluster.Name, name string) {
	t, ok := c.config.Targets.Get(cluster, name)
	ready := ok && synctarget.IsReady(t)
	key := computev1alpha1.TargetKey(string(cluster), name)
	c.mu.Lock()
	was, seen := c.ready[key]
	c.ready[key] = ready
	if !ok {
		delete(c.ready, key)
	}
	watches := make(map[source]*watched, len(c.watches))
	for s, w := range c.watches {
		watches[s] = w
	}
	c.mu.Unlock()
	if !seen || was == ready {
		return
	}
	annotation := computev1alpha1.StatusAnnotationPrefix + key
	for s, w := range watches {
		for _, k := range w.informer.Indexer().ListKeys() {
			obj, exists, err := w.informer.Indexer().GetByKey(k)
			if u, isU := obj.(*unstructured.Unstructured); err == nil && exists && isU {
				if _, has := u.GetAnnotations()[annotation]; has {
					c.queue.Add(item{source: s, key: k})
				}
			}
		}
	}
}
