package health

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSeverityOrder checks every ordered pair of states against the documented order
// Healthy < Suspended < Progressing < Unknown < Missing < Degraded.
func TestSeverityOrder(t *testing.T) {
	order := []State{Healthy, Suspended, Progressing, Unknown, Missing, Degraded}
	assert.Equal(t, order, States)
	for i, a := range order {
		for j, b := range order {
			t.Run(fmt.Sprintf("%s vs %s", a, b), func(t *testing.T) {
				assert.Equal(t, i > j, a.WorseThan(b), "%s worse than %s", a, b)
				want := a
				if j > i {
					want = b
				}
				assert.Equal(t, want, Worst(a, b))
				assert.Equal(t, want, Worst(b, a), "Worst does not depend on the argument order")
			})
		}
	}
}

func TestWorst(t *testing.T) {
	tests := []struct {
		name   string
		states []State
		want   State
	}{
		{"none is Unknown", nil, Unknown},
		{"one", []State{Suspended}, Suspended},
		{"all healthy", []State{Healthy, Healthy}, Healthy},
		{"a degraded one among healthy ones", []State{Healthy, Degraded, Healthy}, Degraded},
		{"missing beats unknown and progressing", []State{Progressing, Missing, Unknown}, Missing},
		{"an unrecognised state ranks as Unknown", []State{Progressing, State("Exploded")}, State("Exploded")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Worst(tt.states...))
		})
	}
	assert.Equal(t, Unknown.Severity(), State("Exploded").Severity())
}
