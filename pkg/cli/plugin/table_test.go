package plugin

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTableAlignsColumnsAndShowsEmptyCells(t *testing.T) {
	var out bytes.Buffer
	table := NewTable(&out, "NAME", "REGION", "AGE")
	table.Row("gpu-eu", "eu", "5m")
	table.Row("a-much-longer-name", "", "3d")
	require.NoError(t, table.Flush())
	assert.Equal(t, ""+
		"NAME                 REGION   AGE\n"+
		"gpu-eu               eu       5m\n"+
		"a-much-longer-name   <none>   3d\n", out.String())
}

func TestAge(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		since time.Time
		want  string
	}{
		{time.Time{}, "<unknown>"},
		{now.Add(-45 * time.Second), "45s"},
		{now.Add(-(3*time.Minute + 2*time.Second)), "3m2s"},
		{now.Add(-5 * time.Hour), "5h"},
		{now.Add(-12 * 24 * time.Hour), "12d"},
	} {
		assert.Equal(t, c.want, Age(c.since, now), "since %s", c.since)
	}
}
