//go:build ignore

// This file is not part of Gantry's module: test/kubecluster/build -e2e copies it into a throwaway module next to a
// copy of k8s.io/kubernetes's test/e2e/apimachinery specs and compiles both into one test binary, which make
// conformance runs against a Gantry workspace (test/conformance).

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"k8s.io/component-base/logs"
	"k8s.io/component-base/version"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/test/e2e/framework"
	"k8s.io/kubernetes/test/e2e/framework/config"

	// The specs under test, copied from k8s.io/kubernetes v1.37.2 without the files that import
	// k8s.io/sample-apiserver.
	_ "gantry.test/e2e/apimachinery"

	// Upstream's e2e binary registers these too: auth plugins and the logging flags.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	_ "k8s.io/component-base/logs/testinit"
	_ "k8s.io/kubernetes/test/e2e/feature"
)

// TestMain registers and parses the framework's flags as upstream's test/e2e does.
func TestMain(m *testing.M) {
	config.CopyFlags(config.Flags, flag.CommandLine)
	framework.RegisterCommonFlags(flag.CommandLine)
	framework.RegisterClusterFlags(flag.CommandLine)
	flag.Parse()
	if flag.CommandLine.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "unknown additional command line arguments: %s\n", flag.CommandLine.Args())
		os.Exit(1)
	}
	framework.AfterReadingAllFlags(&framework.TestContext)
	os.Exit(m.Run())
}

// TestE2E runs the selected specs through Ginkgo, as upstream's RunE2ETests does.
func TestE2E(t *testing.T) {
	logs.InitLogs()
	defer logs.FlushLogs()
	klog.EnableContextualLogging(true)
	gomega.RegisterFailHandler(framework.Fail)
	suiteConfig, reporterConfig := framework.CreateGinkgoConfig()
	ginkgo.RunSpecs(t, "Gantry api-machinery conformance", suiteConfig, reporterConfig)
}

// The suite setup is upstream's setupSuite without what needs nodes and pods: a workspace has no nodes, and no
// kube-system pods or daemonsets, so upstream's waits for schedulable nodes, for Ready system pods and for system
// daemonsets (and its image pre-pull) would never end. What is left: connect, and log both versions. Orphaned
// namespaces need no cleanup either, since make conformance runs in a fresh workspace. Nothing in a spec's body
// changes.
var _ = ginkgo.SynchronizedBeforeSuite(func(ctx context.Context) []byte {
	c, err := framework.LoadClientset()
	framework.ExpectNoError(err, "Error loading client")
	framework.Logf("e2e test version: %s", version.Get().GitVersion)
	serverVersion, err := c.Discovery().ServerVersion()
	if err != nil {
		framework.Logf("Unexpected server error retrieving version: %v", err)
	} else {
		framework.Logf("server version: %s", serverVersion.GitVersion)
	}
	return nil
}, func(ctx context.Context, data []byte) {})
