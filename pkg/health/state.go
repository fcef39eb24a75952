package health

// State is the one-word health of a component or of a whole service.
type State string

// The six states, from best to worst in the order Severity defines.
const (
	// Healthy: everything asked for is running and ready.
	Healthy State = "Healthy"
	// Suspended: nothing runs, on purpose (scaled to zero or paused).
	Suspended State = "Suspended"
	// Progressing: not ready yet, but moving towards ready (a rollout, a pod starting).
	Progressing State = "Progressing"
	// Unknown: there is no data to judge from (a cluster that has not reported, a pod on a lost node).
	Unknown State = "Unknown"
	// Missing: the object that should serve does not exist.
	Missing State = "Missing"
	// Degraded: something is wrong and will not fix itself; the reason says what.
	Degraded State = "Degraded"
)

// States lists every state, from best to worst.
var States = []State{Healthy, Suspended, Progressing, Unknown, Missing, Degraded}

// Severity ranks a state for "worst wins": a higher number is worse. The order is
//
//	Healthy < Suspended < Progressing < Unknown < Missing < Degraded
//
// Why: Degraded is worst because it is certain and needs a person, so it must never be hidden by anything else.
// Missing comes next: we know for sure that nothing serves. Unknown is worse than Progressing because a service we
// cannot see cannot be said to be making progress, but it ranks below the two certain failures so that one silent
// cluster does not mask a definite problem on another. Suspended is an intended state, so it only beats Healthy: a
// service that is partly scaled to zero is not fully Healthy, and anything still moving outranks it. A state this
// package does not know ranks as Unknown.
func (s State) Severity() int {
	switch s {
	case Healthy:
		return 0
	case Suspended:
		return 1
	case Progressing:
		return 2
	case Missing:
		return 4
	case Degraded:
		return 5
	default:
		return 3 // Unknown, and any state written by something newer than this package
	}
}

// WorseThan reports whether s is strictly worse than other.
func (s State) WorseThan(other State) bool { return s.Severity() > other.Severity() }

// Worst returns the worst of states, or Unknown when there are none.
func Worst(states ...State) State {
	if len(states) == 0 {
		return Unknown
	}
	worst := states[0]
	for _, s := range states[1:] {
		if s.WorseThan(worst) {
			worst = s
		}
	}
	return worst
}

// Result is the health of one component or of a whole service: a state, a CamelCase reason a program can match on,
// and a message for people.
type Result struct {
	State   State
	Reason  string
	Message string
}

// Kinds of Component.
const (
	// KindDeployment is the component of the Deployment that serves the model.
	KindDeployment = "Deployment"
	// KindPod is the component of one of its pods.
	KindPod = "Pod"
	// KindContainer is the component of one container, init containers included, of a pod.
	KindContainer = "Container"
)

// Component is the health of one object and of the objects below it: a Deployment holds its pods, a pod its
// containers (init containers included).
type Component struct {
	// Kind is KindDeployment, KindPod or KindContainer.
	Kind string
	// Name is the object's name; for a container, the container's name in its pod.
	Name string
	// Cluster names the compute cluster the object lives in; empty when there is only one.
	Cluster string
	Result
	// Children are the components below this one, in a stable order.
	Children []Component
}
