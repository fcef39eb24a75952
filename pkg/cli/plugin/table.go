package plugin

import (
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
)

// Table writes rows of cells in aligned columns, as kubectl get prints them: upper-case headers and at least three
// spaces between columns. Write the rows with Row, then call Flush.
type Table struct {
	w *tabwriter.Writer
}

// NewTable returns a table on out whose first row is headers.
func NewTable(out io.Writer, headers ...string) *Table {
	t := &Table{w: tabwriter.NewWriter(out, 0, 8, 3, ' ', 0)}
	t.Row(headers...)
	return t
}

// Row adds one row. An empty cell is shown as <none>, so that columns stay countable.
func (t *Table) Row(cells ...string) {
	shown := make([]string, len(cells))
	for i, c := range cells {
		shown[i] = c
		if c == "" {
			shown[i] = "<none>"
		}
	}
	_, _ = io.WriteString(t.w, strings.Join(shown, "\t")+"\n")
}

// Flush writes the aligned rows out.
func (t *Table) Flush() error {
	return t.w.Flush()
}

// Age says how long before now since was, as kubectl's AGE column does (45s, 3m2s, 5h, 12d), and "<unknown>"
// for a zero time.
func Age(since, now time.Time) string {
	if since.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(since))
}
