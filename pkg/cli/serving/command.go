package serving

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// NewRolloutCommand returns `kubectl gantry rollout` with history, undo and status.
func NewRolloutCommand(f *plugin.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout",
		Short: "Show, undo and follow the rollouts of an InferenceService",
	}
	cmd.AddCommand(newHistoryCommand(f), newUndoCommand(f), newStatusCommand(f))
	return cmd
}

// serviceTarget is what every `rollout` command starts with: the InferenceService named by arg (isvc/NAME), the
// namespace it is in, and a client of the current workspace.
func serviceTarget(f *plugin.Factory, arg string) (client versioned.Interface, namespace, name string, err error) {
	if _, name, err = ParseTarget(arg, kindService); err != nil {
		return nil, "", "", err
	}
	client, namespace, err = namespacedClient(f)
	return client, namespace, name, err
}

// namespacedClient is what every serving command needs of the factory: a client of the current workspace and the
// namespace to work in (-n, else the context's, else default).
func namespacedClient(f *plugin.Factory) (versioned.Interface, string, error) {
	namespace, err := f.Namespace()
	if err != nil {
		return nil, "", err
	}
	client, err := f.GantryClient()
	if err != nil {
		return nil, "", err
	}
	return client, namespace, nil
}

func newHistoryCommand(f *plugin.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "history isvc/NAME",
		Short:   "List the recorded revisions of an InferenceService: model, author, age and cause",
		Example: `  kubectl gantry rollout history isvc/chat -n team`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, namespace, name, err := serviceTarget(f, args[0])
			if err != nil {
				return err
			}
			isvc, revisions, err := Revisions(cmd.Context(), client, namespace, name)
			if err != nil {
				return err
			}
			return PrintHistory(f.IOStreams.Out, isvc, revisions, time.Now())
		},
	}
}

func newUndoCommand(f *plugin.Factory) *cobra.Command {
	var to int64
	cmd := &cobra.Command{
		Use:   "undo isvc/NAME [--to-revision N]",
		Short: "Roll an InferenceService back to the predictor of an earlier revision (default: the one before the current)",
		Example: `  kubectl gantry rollout undo isvc/chat
  kubectl gantry rollout undo isvc/chat --to-revision 1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to < 0 {
				return fmt.Errorf("--to-revision must be a revision number (1 or more), or 0 for the previous revision")
			}
			client, namespace, name, err := serviceTarget(f, args[0])
			if err != nil {
				return err
			}
			return Undo(cmd.Context(), client, namespace, name, to, f.IOStreams.Out)
		},
	}
	cmd.Flags().Int64Var(&to, "to-revision", 0, "The revision to roll back to; 0 is the one before the current.")
	return cmd
}

func newStatusCommand(f *plugin.Factory) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:     "status isvc/NAME [--timeout DURATION]",
		Short:   "Wait until an InferenceService is Healthy, printing each health change; fail when it is Degraded",
		Example: `  kubectl gantry rollout status isvc/chat --timeout 10m`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, namespace, name, err := serviceTarget(f, args[0])
			if err != nil {
				return err
			}
			return WaitHealthy(cmd.Context(), client, namespace, name, timeout, f.IOStreams.Out)
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "How long to wait for Healthy.")
	return cmd
}

// NewPromoteCommand returns `kubectl gantry promote model/NAME|isvc/NAME`.
func NewPromoteCommand(f *plugin.Factory) *cobra.Command {
	var version, stage, to string
	cmd := &cobra.Command{
		Use:   "promote (model/NAME --version V --stage Production|Staging | isvc/NAME --to <workspace path>)",
		Short: "Move a model version to a stage, or copy an InferenceService's spec to another workspace",
		Example: `  # every service that follows stage Production rolls to v2; the version in Production before is Archived
  kubectl gantry promote model/llama --version v2 --stage Production
  # copy the exact spec of chat to the same namespace of the production workspace
  kubectl gantry promote isvc/chat --to root:org:prod`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, name, err := ParseTarget(args[0], kindModel, kindService)
			if err != nil {
				return err
			}
			client, namespace, err := namespacedClient(f)
			if err != nil {
				return err
			}
			if kind == kindModel {
				if to != "" || version == "" {
					return fmt.Errorf("promote model/NAME takes --version and --stage, not --to")
				}
				s := servingv1alpha1.ModelStage(stage)
				if s != servingv1alpha1.StageProduction && s != servingv1alpha1.StageStaging {
					return fmt.Errorf("--stage must be Production or Staging, not %q", stage)
				}
				return PromoteModel(cmd.Context(), client, namespace, name, version, s, f.IOStreams.Out)
			}
			if to == "" || version != "" || stage != "" {
				return fmt.Errorf("promote isvc/NAME takes --to <workspace path>, not --version or --stage")
			}
			targetPath, err := logicalcluster.ParsePath(to)
			if err != nil {
				return fmt.Errorf("--to %q is not a workspace path: %v", to, err)
			}
			sourcePath, err := f.CurrentWorkspace()
			if err != nil {
				return err
			}
			source, err := f.DynamicClient()
			if err != nil {
				return err
			}
			targetConfig, err := f.RESTConfigFor(targetPath)
			if err != nil {
				return err
			}
			target, err := dynamic.NewForConfig(targetConfig)
			if err != nil {
				return err
			}
			return PromoteService(cmd.Context(), source, target, string(sourcePath), string(targetPath), namespace, name, f.IOStreams.Out)
		},
	}
	cmd.Flags().StringVar(&version, "version", "", "The model version to promote (model/NAME).")
	cmd.Flags().StringVar(&stage, "stage", "", "The stage to move it to: Production or Staging (model/NAME).")
	cmd.Flags().StringVar(&to, "to", "", "The workspace to copy the service to, in the same namespace (isvc/NAME).")
	return cmd
}
