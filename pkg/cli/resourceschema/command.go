package resourceschema

import (
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
)

// NewCommand returns `kubectl gantry schema` with its subcommand `from-crd`.
func NewCommand(f *plugin.Factory) *cobra.Command {
	schema := &cobra.Command{Use: "schema", Short: "Make APIResourceSchemas"}
	schema.AddCommand(newFromCRDCommand(f))
	return schema
}

// newFromCRDCommand returns `kubectl gantry schema from-crd`.
func newFromCRDCommand(f *plugin.Factory) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:     "from-crd FILE [--prefix PREFIX]",
		Short:   "Print the APIResourceSchema <prefix>.<plural>.<group> of a CustomResourceDefinition (FILE - reads stdin)",
		Example: `  kubectl gantry schema from-crd widgets-crd.yaml --prefix v1 | kubectl create -f -`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := f.IOStreams.In
			if args[0] != "-" {
				file, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer file.Close()
				in = io.Reader(file)
			}
			return SchemaFromCRD(in, prefix, f.IOStreams.Out)
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "v"+time.Now().UTC().Format("060102"), "Name prefix; schemas are immutable, so a changed CRD needs a new prefix.")
	return cmd
}
