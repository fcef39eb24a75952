package syncer

import (
	"context"
	"encoding/json"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

// minFuelInterval keeps a burst of node or pod changes from turning into a burst of status writes.
const minFuelInterval = time.Second

// fuelChanged asks for a heartbeat soon; it never blocks an informer.
func (s *Syncer) fuelChanged() {
	select {
	case s.fuel <- struct{}{}:
	default:
	}
}

// heartbeat reports the SyncTarget's status every HeartbeatPeriod, and sooner (at most once per minFuelInterval)
// when nodes or pods change. The server owns the Ready condition; the syncer writes no conditions.
func (s *Syncer) heartbeat(ctx context.Context) {
	ticker := time.NewTicker(s.cfg.HeartbeatPeriod)
	defer ticker.Stop()
	// The spec the served resources were first discovered for: a change from it triggers a new discovery.
	lastSpec := s.spec
	for {
		target, err := s.reportStatus(ctx)
		if err != nil {
			klog.FromContext(ctx).Error(err, "heartbeat failed; the SyncTarget will turn not Ready if this persists")
		} else if !equality.Semantic.DeepEqual(lastSpec, target.Spec) || s.hasPending() {
			s.rediscover()
		}
		if err == nil {
			lastSpec = *target.Spec.DeepCopy()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(minFuelInterval):
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-s.fuel:
		}
	}
}

// rediscover asks the resync loop to re-read the served resources.
func (s *Syncer) rediscover() {
	select {
	case s.discover <- struct{}{}:
	default:
	}
}

func (s *Syncer) hasPending() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.pending) > 0
}

// reportStatus merge-patches the SyncTarget's status with the heartbeat time, the fuel, the version and the
// synced resources, and returns the SyncTarget as the server answered.
func (s *Syncer) reportStatus(ctx context.Context) (*computev1alpha1.SyncTarget, error) {
	nodes, err := s.nodes.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	pods, err := s.pods.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	patch, err := StatusPatch(metav1.Now(), ComputeFuel(nodes, pods), s.cfg.Version, s.syncedResources())
	if err != nil {
		return nil, err
	}
	return s.gantry.ComputeV1alpha1().SyncTargets().Patch(ctx, s.name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
}

// StatusPatch is the merge patch of a heartbeat. Lists are written whole, and empty ones as [] so that a row that
// went away (a GPU product no longer present) is removed.
func StatusPatch(now metav1.Time, fuel Fuel, version string, synced []computev1alpha1.SyncedResource) ([]byte, error) {
	if fuel.GPUs == nil {
		fuel.GPUs = []computev1alpha1.GPUUsage{}
	}
	if synced == nil {
		synced = []computev1alpha1.SyncedResource{}
	}
	return json.Marshal(map[string]interface{}{"status": map[string]interface{}{
		"lastHeartbeatTime": now,
		"capacity":          fuel.Capacity,
		"allocatable":       fuel.Allocatable,
		"gpus":              fuel.GPUs,
		"syncerVersion":     version,
		"syncedResources":   synced,
	}})
}
