package serving

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/cli/plugin"
)

// NewModelsCommand returns `kubectl gantry models`.
func NewModelsCommand(f *plugin.Factory) *cobra.Command {
	var allNamespaces bool
	cmd := &cobra.Command{
		Use:   "models [-n NAMESPACE | -A]",
		Short: "List the registered Models with their versions, stages and production version",
		Example: `  kubectl gantry models
  kubectl gantry models -A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return runModels(ctx, f, allNamespaces)
		},
	}
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "List the Models of every namespace.")
	return cmd
}

// runModels lists the Models of the namespace, or of all, as a table.
func runModels(ctx context.Context, f *plugin.Factory, allNamespaces bool) error {
	ns := ""
	if !allNamespaces {
		var err error
		if ns, err = f.Namespace(); err != nil {
			return err
		}
	}
	client, err := f.GantryClient()
	if err != nil {
		return err
	}
	models, err := client.ServingV1alpha1().Models(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	if len(models.Items) == 0 {
		if allNamespaces {
			fmt.Fprintln(f.IOStreams.ErrOut, "No Models found.")
		} else {
			fmt.Fprintf(f.IOStreams.ErrOut, "No Models found in namespace %s.\n", ns)
		}
		return nil
	}
	return modelsTable(f.IOStreams.Out, models.Items, allNamespaces, time.Now())
}

// modelsTable prints one line per Model: [namespace,] name, format, versions with their stages, the production
// version and the age.
func modelsTable(out io.Writer, models []servingv1alpha1.Model, withNamespace bool, now time.Time) error {
	headers := []string{"NAME", "FORMAT", "VERSIONS", "PRODUCTION", "AGE"}
	if withNamespace {
		headers = append([]string{"NAMESPACE"}, headers...)
	}
	table := plugin.NewTable(out, headers...)
	for i := range models {
		m := &models[i]
		row := []string{m.Name, string(m.Spec.Format), modelsVersionList(m), modelsProduction(m), plugin.Age(m.CreationTimestamp.Time, now)}
		if withNamespace {
			row = append([]string{m.Namespace}, row...)
		}
		table.Row(row...)
	}
	return table.Flush()
}

// modelsVersionList shows a Model's versions in order with their stages, such as "v1(Archived),v2(Production)";
// an unset stage is None.
func modelsVersionList(m *servingv1alpha1.Model) string {
	parts := make([]string, len(m.Spec.Versions))
	for i, v := range m.Spec.Versions {
		stage := v.Stage
		if stage == "" {
			stage = servingv1alpha1.StageNone
		}
		parts[i] = fmt.Sprintf("%s(%s)", v.Name, stage)
	}
	return strings.Join(parts, ",")
}

// modelsProduction is the name of the version in stage Production, or "" when none is.
func modelsProduction(m *servingv1alpha1.Model) string {
	for _, v := range m.Spec.Versions {
		if v.Stage == servingv1alpha1.StageProduction {
			return v.Name
		}
	}
	return ""
}
