package health

// Reasons this package writes. Where Kubernetes already has a name for the cause (CrashLoopBackOff, OOMKilled,
// ProgressDeadlineExceeded, ...), the reason is that name, so that it reads the same in kubectl's output.
const (
	// ReasonNotFound: the Deployment does not exist (Missing).
	ReasonNotFound = "NotFound"
	// ReasonNoData: nothing was reported to judge from (Unknown).
	ReasonNoData = "NoData"

	// ReasonAvailable: the Deployment has all its replicas updated and available (Healthy).
	ReasonAvailable = "Available"
	// ReasonPaused: the Deployment's rollout is paused (Suspended).
	ReasonPaused = "Paused"
	// ReasonScaledToZero: the Deployment asks for no replicas (Suspended).
	ReasonScaledToZero = "ScaledToZero"
	// ReasonProgressDeadlineExceeded: the rollout made no progress within spec.progressDeadlineSeconds (Degraded).
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	// ReasonReplicaFailure: the ReplicaSet could not create or delete pods, for example over a quota (Degraded).
	ReasonReplicaFailure = "ReplicaFailure"
	// ReasonGenerationNotObserved: the Deployment controller has not yet seen the latest spec (Progressing).
	ReasonGenerationNotObserved = "GenerationNotObserved"
	// ReasonRollingOut: some replicas still run an older template, or old replicas are still terminating
	// (Progressing).
	ReasonRollingOut = "RollingOut"
	// ReasonReplicasUnavailable: fewer replicas are available than desired (Progressing).
	ReasonReplicasUnavailable = "ReplicasUnavailable"
	// ReasonScalingDown: scaled to zero, but pods are still running or terminating (Progressing).
	ReasonScalingDown = "ScalingDown"

	// ReasonReady: the pod or container is ready (Healthy).
	ReasonReady = "Ready"
	// ReasonPending: the pod is not scheduled yet, or its containers are not created yet (Progressing).
	ReasonPending = "Pending"
	// ReasonStarting: the containers run but are not ready yet, within the startup budget (Progressing).
	ReasonStarting = "Starting"
	// ReasonTerminating: the pod is being deleted (Progressing).
	ReasonTerminating = "Terminating"
	// ReasonStartupTimeout: the pod has not been ready for longer than the startup budget (Degraded).
	ReasonStartupTimeout = "StartupTimeout"
	// ReasonInsufficientGPU: the scheduler found no node with enough free GPUs (Degraded).
	ReasonInsufficientGPU = "InsufficientGPU"
	// ReasonUnschedulable: the scheduler found no node for another reason (Degraded).
	ReasonUnschedulable = "Unschedulable"
	// ReasonOOMKilled: a container was killed for exceeding its memory limit and is not serving (Degraded).
	ReasonOOMKilled = "OOMKilled"
	// ReasonCrashLoopBackOff: a container keeps exiting and the kubelet backs off restarting it (Degraded).
	ReasonCrashLoopBackOff = "CrashLoopBackOff"
	// ReasonImagePullBackOff: the kubelet backs off pulling the image after failures (Degraded).
	ReasonImagePullBackOff = "ImagePullBackOff"
	// ReasonErrImagePull: pulling the image failed (Degraded).
	ReasonErrImagePull = "ErrImagePull"
	// ReasonPodFailed: the pod ended in phase Failed (Degraded) when the kubelet gave no reason (eviction gives
	// Evicted).
	ReasonPodFailed = "Failed"
	// ReasonCompleted: a serving pod or container exited successfully, which a server should not do (Degraded).
	ReasonCompleted = "Completed"
	// ReasonNodeLost: the pod's phase is Unknown, usually because its node stopped reporting (Unknown).
	ReasonNodeLost = "NodeLost"
)

// degradedWaitingReasons are the container waiting reasons that will not clear on their own: they need a new image,
// a fixed spec or a fixed program. Other waiting reasons (ContainerCreating, PodInitializing) are progress.
var degradedWaitingReasons = map[string]bool{
	ReasonCrashLoopBackOff:       true,
	ReasonImagePullBackOff:       true,
	ReasonErrImagePull:           true,
	"InvalidImageName":           true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
}
