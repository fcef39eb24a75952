package registry

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestTableHeaders: the column definitions come unless the options say noHeaders, which a watch in Table form
// sets after its first event.
func TestTableHeaders(t *testing.T) {
	convertor := tableFor("Namespace")
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}
	for _, tt := range []struct {
		name        string
		options     runtime.Object
		wantHeaders bool
	}{
		{name: "no options", options: nil, wantHeaders: true},
		{name: "headers", options: &metav1.TableOptions{}, wantHeaders: true},
		{name: "noHeaders", options: &metav1.TableOptions{NoHeaders: true}, wantHeaders: false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			table, err := convertor.ConvertToTable(context.Background(), ns, tt.options)
			require.NoError(t, err)
			if tt.wantHeaders {
				assert.NotEmpty(t, table.ColumnDefinitions)
				assert.Equal(t, "Name", table.ColumnDefinitions[0].Name)
			} else {
				assert.Empty(t, table.ColumnDefinitions)
			}
			require.Len(t, table.Rows, 1, "the rows come either way")
			assert.Equal(t, "team", table.Rows[0].Cells[0])
		})
	}
}
