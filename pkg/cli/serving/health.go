package serving

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/cli/plugin"
)

// NewHealthCommand returns `kubectl gantry health isvc/NAME`.
func NewHealthCommand(f *plugin.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "health isvc/NAME",
		Short: "Print an InferenceService's health tree: overall, per cluster, per component, pod and container",
		Example: `  kubectl gantry health isvc/llama-8b
  kubectl gantry health llama-8b -n team-ml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return runHealth(ctx, f, args[0])
		},
	}
}

// runHealth reads the service and prints its health tree.
func runHealth(ctx context.Context, f *plugin.Factory, ref string) error {
	name, err := healthParseRef(ref)
	if err != nil {
		return err
	}
	client, ns, err := namespacedClient(f)
	if err != nil {
		return err
	}
	isvc, err := client.ServingV1alpha1().InferenceServices(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	healthTree(f.IOStreams.Out, isvc)
	return nil
}

// healthParseRef accepts what ParseTarget takes for an InferenceService (isvc/NAME, inferenceservice/NAME, ...)
// and, as `kubectl get` does, a bare NAME.
func healthParseRef(ref string) (string, error) {
	if !strings.Contains(ref, "/") && ref != "" {
		return ref, nil
	}
	_, name, err := ParseTarget(ref, kindService)
	return name, err
}

// healthTree prints the service's health as a tree: the overall health with the model, replicas and URL, then the
// clusters (how many are unhealthy and which, then one row each: ready replicas, then health), then each component with its pods and their
// containers. Parts of the status not written yet are said to be not reported, so that a new service's tree reads
// as such.
func healthTree(out io.Writer, isvc *servingv1alpha1.InferenceService) {
	st := &isvc.Status
	fmt.Fprintf(out, "inferenceservice/%s (namespace %s): %s\n", isvc.Name, isvc.Namespace, DescribeHealth(st.Health))
	var facts []string
	if st.Model != "" {
		facts = append(facts, "model "+st.Model)
	}
	if st.Revision > 0 {
		facts = append(facts, fmt.Sprintf("revision %d", st.Revision))
	}
	if st.Ready != "" {
		facts = append(facts, st.Ready+" ready")
	}
	if st.URL != "" {
		facts = append(facts, "url "+st.URL)
	}
	if len(facts) > 0 {
		fmt.Fprintf(out, "  %s\n", strings.Join(facts, ", "))
	}
	if failure := st.ModelStatus.LastFailureInfo; failure != nil && failure.Reason != "" {
		fmt.Fprintf(out, "  last failure: %s: %s\n", failure.Reason, failure.Message)
	}

	if len(st.Clusters) == 0 {
		fmt.Fprintln(out, "Clusters: none reported")
	} else {
		fmt.Fprintln(out, clustersHeading(st.Clusters))
		for _, c := range st.Clusters {
			fmt.Fprintf(out, "  %s: %d/%d ready, %s\n", c.Name, c.ReadyReplicas, c.Replicas, DescribeHealth(withoutClusterName(c)))
		}
	}

	if len(st.Components) == 0 {
		fmt.Fprintln(out, "Components: none reported")
		return
	}
	fmt.Fprintln(out, "Components:")
	for _, c := range st.Components {
		where := ""
		if c.Cluster != "" {
			where = " on " + c.Cluster
		}
		fmt.Fprintf(out, "  %s %s%s: %s\n", c.Kind, c.Name, where, DescribeHealth(c.Health))
		for _, child := range c.Children {
			fmt.Fprintf(out, "    %s %s: %s\n", child.Kind, child.Name, DescribeHealth(child.Health))
			for _, leaf := range child.Children {
				fmt.Fprintf(out, "      %s %s: %s\n", leaf.Kind, leaf.Name, DescribeHealth(leaf.Health))
			}
		}
	}
}

// withoutClusterName is a cluster row's health without the "cluster NAME: " its operator (--cluster-name) may
// have put before the message: the row is named already.
func withoutClusterName(c servingv1alpha1.ClusterHealth) servingv1alpha1.Health {
	h := c.Health
	h.Message = strings.TrimPrefix(h.Message, "cluster "+c.Name+": ")
	return h
}

// clustersHeading is the line above the cluster rows: how many of them are unhealthy (not Healthy), and which, so
// that a failing cluster among many is seen at a glance.
func clustersHeading(clusters []servingv1alpha1.ClusterHealth) string {
	var unhealthy []string
	for _, c := range clusters {
		if c.Health.State != servingv1alpha1.HealthHealthy {
			unhealthy = append(unhealthy, c.Name)
		}
	}
	if len(unhealthy) == 0 {
		return fmt.Sprintf("Clusters: %d of %d healthy", len(clusters), len(clusters))
	}
	return fmt.Sprintf("Clusters: %d of %d unhealthy (%s)", len(unhealthy), len(clusters), strings.Join(unhealthy, ", "))
}
