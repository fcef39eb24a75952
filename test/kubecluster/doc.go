// Package kubecluster runs a real Kubernetes control plane for tests: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler, with kwok playing the kubelets of fake nodes. Tests of the syncer and
// the serving operator use it as the downstream cluster instead of a fake client.
//
// The binaries come from a cache outside the repository that `make kube-binaries` fills once per version (see
// test/kubecluster/build and docs/compute.md). Start fails the test with that command when they are missing.
//
// A pod annotated FaultAnnotation fakes a failure instead of becoming ready (CrashLoopBackOff, OOMKilled,
// ImagePullBackOff or NotReady). Those kwok stages are ours, in stages/, embedded and passed to kwok by Start.
//
//	c := kubecluster.Start(t)
//	c.AddGPUNode(t, "gpu-0", "NVIDIA-H100-80GB-HBM3", 8)
//	cs := kubernetes.NewForConfigOrDie(c.RESTConfig())
package kubecluster
