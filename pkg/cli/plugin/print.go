package plugin

import (
	"io"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	gantryscheme "github.com/gantry-dev/gantry/sdk/generated/clientset/versioned/scheme"
)

// Scheme knows the built-in Kubernetes types and Gantry's, so that printers can name the kind of a typed object
// (clients return objects with an empty apiVersion and kind).
var Scheme = newScheme()

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(gantryscheme.AddToScheme(s))
	return s
}

// PrintFlags are kubectl's -o flags of a command that prints objects: -o yaml|json|name, and the jsonpath and
// go-template forms. Without -o, the command prints its own human-readable text.
type PrintFlags struct {
	flags *genericclioptions.PrintFlags
	cmd   *cobra.Command
}

// AddPrintFlags registers the -o flags on cmd.
func AddPrintFlags(cmd *cobra.Command) *PrintFlags {
	flags := genericclioptions.NewPrintFlags("").WithTypeSetter(Scheme)
	flags.AddFlags(cmd)
	return &PrintFlags{flags: flags, cmd: cmd}
}

// Requested says whether the user asked for an output format. A command that prints objects then prints only
// them on stdout, so that its output can be piped, and keeps quiet otherwise.
func (p *PrintFlags) Requested() bool {
	return *p.flags.OutputFormat != "" || p.cmd.Flags().Changed("template")
}

// Progress is where a command writes its progress lines: out, or nowhere when an object is to be printed, so that
// stdout holds only the object.
func (p *PrintFlags) Progress(out io.Writer) io.Writer {
	if p.Requested() {
		return io.Discard
	}
	return out
}

// Validate fails when the output format is not one of the allowed ones; call it before changing anything.
func (p *PrintFlags) Validate() error {
	if !p.Requested() {
		return nil
	}
	_, err := p.flags.ToPrinter()
	return err
}

// Print writes obj to out in the requested format.
func (p *PrintFlags) Print(obj runtime.Object, out io.Writer) error {
	printer, err := p.flags.ToPrinter()
	if err != nil {
		return err
	}
	return printer.PrintObj(obj, out)
}
