package syncer

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"reflect"
	"strconv"
	"sync"
	"time"

	apiresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// appliedState is what the syncer's last server-side apply of one downstream object sent and got back: the hash of
// the applied object and the fields the server recorded as ours (our managedFields entry) in the answer.
type appliedState struct {
	desired [sha256.Size]byte
	fields  []byte // FieldsV1 of our Apply entry
}

// appliedStates remembers the last apply of each downstream object, by its UID, so that an apply that would change
// nothing can be skipped. It lives in memory only: after a restart every object is applied once more.
type appliedStates struct {
	mu    sync.Mutex
	byUID map[types.UID]appliedState
	// unseen are the applies, by resource, namespace and name, whose object the downstream informer has not shown
	// yet (see unseenApply).
	unseen map[string]unseenApply
	now    func() time.Time
}

// unseenApply is an apply whose answer the downstream informer has not shown yet: the hash of what it sent, and when.
type unseenApply struct {
	desired [sha256.Size]byte
	at      time.Time
}

// unseenApplyWindow is how long after an apply its object, not yet in the downstream informer, counts as just
// applied. A watch event normally comes within a second even under load; past the window the object is applied
// again, in case its events were lost (a relist after it was deleted again).
const unseenApplyWindow = 30 * time.Second

func newAppliedStates() *appliedStates {
	return &appliedStates{byUID: map[types.UID]appliedState{}, unseen: map[string]unseenApply{}, now: time.Now}
}

// record remembers the apply of desired (of the object named by copyKey: resource, namespace and name) whose answer
// was applied; an answer without our entry is forgotten.
func (a *appliedStates) record(copyKey string, desired, applied *unstructured.Unstructured) {
	fields := ownFields(applied)
	hash := hashObject(desired)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.unseen[copyKey] = unseenApply{desired: hash, at: a.now()}
	if fields == nil {
		delete(a.byUID, applied.GetUID())
		return
	}
	a.byUID[applied.GetUID()] = appliedState{desired: hash, fields: fields}
}

// justApplied reports whether desired is what this process applied to the object copyKey within unseenApplyWindow,
// for an object the downstream informer does not have yet. An object reconciled again right after its apply (an
// upstream event of the finalizer written just before) is usually not in the informer yet; applying it once more
// would write nothing new, and the informer's event for it reconciles it again anyway. A fresh syncer applied
// every copy twice that way when its queue was short.
func (a *appliedStates) justApplied(copyKey string, desired *unstructured.Unstructured) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.unseen[copyKey]
	if !ok {
		return false
	}
	if a.now().Sub(u.at) > unseenApplyWindow {
		delete(a.unseen, copyKey)
		return false
	}
	return u.desired == hashObject(desired)
}

// seen drops the unseen apply of copyKey: the informer has shown the object (or its deletion).
func (a *appliedStates) seen(copyKey string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.unseen, copyKey)
}

// get returns the last apply of the object with uid.
func (a *appliedStates) get(uid types.UID) (appliedState, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st, ok := a.byUID[uid]
	return st, ok
}

// forget drops the object with uid (it was deleted downstream).
func (a *appliedStates) forget(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.byUID, uid)
}

// len is how many objects are remembered.
func (a *appliedStates) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.byUID)
}

// applyNeeded says whether the server-side apply of desired must be sent, given the downstream object live as the
// informer has it (nil when it has none) and the syncer's last apply of that object (ok false when there is none),
// and why. The apply is skipped only when all of these hold, each of which an apply would otherwise fix:
//   - live is the very object that apply answered (same UID), not one recreated since, and is not being deleted;
//   - desired is what that apply sent (same hash): a field the upstream object dropped must be dropped downstream;
//   - our managedFields entry is unchanged: any other writer that changed, removed or took over a field we set
//     (kubectl edit, scale, a forced apply) moves it out of our entry, which is how drift shows;
//   - every value of desired is still in live: a belt to those braces, for drift whatever manager wrote it.
//
// A change of the status, or of fields we do not set (a label added by someone else, defaults), skips: an apply
// would not touch them.
func applyNeeded(desired, live *unstructured.Unstructured, last appliedState, ok bool) (bool, string) {
	switch {
	case live == nil:
		return true, "no downstream object"
	case !ok:
		return true, "not applied by this process yet"
	case live.GetDeletionTimestamp() != nil:
		return true, "downstream object is being deleted"
	case last.desired != hashObject(desired):
		return true, "the desired object changed"
	}
	fields := ownFields(live)
	if fields == nil {
		return true, "the downstream object has no fields of ours"
	}
	if !sameFields(fields, last.fields) {
		return true, "fields we set were changed by another writer"
	}
	if !containsValues(live.Object, desired.Object) {
		return true, "a value we set differs downstream"
	}
	return false, "unchanged"
}

// ownFields is the FieldsV1 of the syncer's Apply entry in obj's managedFields, or nil.
func ownFields(obj *unstructured.Unstructured) []byte {
	for _, e := range obj.GetManagedFields() {
		if e.Manager == FieldManager && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == "" && e.FieldsV1 != nil {
			return e.FieldsV1.Raw
		}
	}
	return nil
}

// sameFields compares two FieldsV1 as field sets, since equal sets may be encoded in a different order.
func sameFields(a, b []byte) bool {
	if string(a) == string(b) {
		return true
	}
	var sa, sb fieldpath.Set
	if sa.FromJSON(bytes.NewReader(a)) != nil || sb.FromJSON(bytes.NewReader(b)) != nil {
		return false
	}
	return sa.Equals(&sb)
}

// hashObject hashes an object's JSON (map keys sorted, so equal objects hash equally).
func hashObject(obj *unstructured.Unstructured) [sha256.Size]byte {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		// Unstructured content always marshals; a zero hash matches nothing applied, so the apply is sent.
		return [sha256.Size]byte{}
	}
	return sha256.Sum256(data)
}

// containsValues reports whether every field of want is in have with the same value (numbers by value, quantities
// by amount). Maps may hold more keys in have (defaults, others' fields); lists must have the same length, compared
// element by element.
func containsValues(have, want interface{}) bool {
	switch w := want.(type) {
	case map[string]interface{}:
		h, ok := have.(map[string]interface{})
		if !ok {
			return false
		}
		for k, wv := range w {
			hv, found := h[k]
			if !found || !containsValues(hv, wv) {
				return false
			}
		}
		return true
	case []interface{}:
		h, ok := have.([]interface{})
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !containsValues(h[i], w[i]) {
				return false
			}
		}
		return true
	default:
		if hf, ok := number(have); ok {
			if wf, ok := number(want); ok {
				return hf == wf
			}
		}
		return reflect.DeepEqual(have, want) || sameQuantity(have, want)
	}
}

// sameQuantity reports whether have, a string, and want are the same resource quantity: the API server stores
// quantities in canonical form (nvidia.com/gpu: 1 comes back as "1", cpu: 0.5 as "500m"), and an apply of the
// other spelling changes nothing. A non-quantity field whose value another writer changed this way is still
// re-applied: that writer took the field out of our managedFields entry.
func sameQuantity(have, want interface{}) bool {
	hs, ok := have.(string)
	if !ok {
		return false
	}
	hq, err := apiresource.ParseQuantity(hs)
	if err != nil {
		return false
	}
	var wq apiresource.Quantity
	switch w := want.(type) {
	case string:
		if wq, err = apiresource.ParseQuantity(w); err != nil {
			return false
		}
	case int64:
		wq = *apiresource.NewQuantity(w, apiresource.DecimalSI)
	case float64:
		if wq, err = apiresource.ParseQuantity(strconv.FormatFloat(w, 'f', -1, 64)); err != nil {
			return false
		}
	default:
		return false
	}
	return hq.Cmp(wq) == 0
}

// number reads an int64 or float64 (what JSON numbers decode to in unstructured content) as a float64.
func number(v interface{}) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
