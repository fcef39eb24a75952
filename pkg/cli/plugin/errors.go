package plugin

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// usageError is an error in how a command was called (an unknown flag, a wrong number of arguments): kubectl adds
// where to read the command's help.
type usageError struct {
	cmd *cobra.Command
	err error
}

// Error returns the message of the wrapped error.
func (e usageError) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error.
func (e usageError) Unwrap() error { return e.err }

// Execute runs the plugin whose root is root, prints an error the way kubectl does, and returns the process exit
// code: 0, or 1 after an error. main is then `os.Exit(plugin.Execute(root, streams.ErrOut))`.
func Execute(root *cobra.Command, errOut io.Writer) int {
	started := false
	markStart(root, &started)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var usage usageError
	if !started && !errors.As(err, &usage) {
		err = usageError{cmd: cmd, err: err}
	}
	fmt.Fprintln(errOut, ErrorMessage(err))
	return 1
}

// markStart makes cmd and every command below it set *started when its RunE begins. Cobra checks flags and
// arguments before that, so an error before it is a usage error.
func markStart(cmd *cobra.Command, started *bool) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			*started = true
			return run(c, args)
		}
	}
	for _, sub := range cmd.Commands() {
		markStart(sub, started)
	}
}

// ErrorMessage formats err as kubectl prints a failed command: "Error from server (Reason): ..." for an error the
// API server returned as is, "error: ..." for everything else, and a pointer to the help after a usage error.
func ErrorMessage(err error) string {
	if status, ok := err.(apierrors.APIStatus); ok && status.Status().Reason != "" {
		return fmt.Sprintf("Error from server (%s): %s", status.Status().Reason, strings.TrimSpace(err.Error()))
	}
	msg := "error: " + strings.TrimSpace(err.Error())
	var usage usageError
	if errors.As(err, &usage) && usage.cmd != nil {
		msg += fmt.Sprintf("\nSee '%s --help' for usage.", usage.cmd.CommandPath())
	}
	return msg
}
