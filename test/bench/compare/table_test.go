package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, 50*time.Millisecond, percentile(d, 0.5))
	assert.Equal(t, 99*time.Millisecond, percentile(d, 0.99))
	assert.Equal(t, 100*time.Millisecond, percentile(d, 1))
	assert.Equal(t, time.Duration(100), percentile([]time.Duration{100}, 0.99))
	assert.Zero(t, percentile(nil, 0.5))
	assert.Equal(t, 100*time.Millisecond, d[0], "percentile must not reorder its input")
}

func TestMedian(t *testing.T) {
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	assert.Zero(t, median(nil))
}

func TestMarkShowsMissesThatRoundOntoTheGoal(t *testing.T) {
	assert.Equal(t, "0.94", mark(0.94, false))
	assert.Equal(t, "**1.42 MISS**", mark(1.42, true))
	assert.Equal(t, "**1.004 MISS**", mark(1.004, true))
	assert.Equal(t, "**1.103 MISS**", mark(1.103, true))
}

func TestTableRatiosAndMisses(t *testing.T) {
	get := Operation{Name: "GET"}
	rate := Operation{Name: "GET at 16", Throughput: true}
	r := NewResults([]Operation{get, rate})
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	r.Add("1", get, "vanilla", Sample{Latencies: ms(10, 10, 10, 20)})
	r.Add("1", get, "gantry", Sample{Latencies: ms(5, 5, 5, 40)})
	r.Add("1", rate, "vanilla", Sample{Latencies: ms(1, 1), Requests: 100, Elapsed: time.Second})
	r.Add("1", rate, "gantry", Sample{Latencies: ms(1, 1), Requests: 50, Elapsed: time.Second})
	var out bytes.Buffer
	r.Print(&out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 5) // header, rule, GET, latency and throughput of the concurrent row
	assert.Contains(t, lines[2], "| 0.50 | **2.00 MISS** |", "GET: p50 5/10, p99 40/20")
	assert.Contains(t, lines[4], "| 100 | | 50 | | **0.50 MISS** |", "throughput: 50 req/s against 100")
	assert.Equal(t, 2, r.Misses())
}

func TestPrintMediansJudgesTheMedian(t *testing.T) {
	get := Operation{Name: "GET"}
	rate := Operation{Name: "GET at 16", Throughput: true}
	run := func(gantryP50 int, gantryRate int) *Results {
		r := NewResults([]Operation{get, rate})
		r.Add("1", get, "vanilla", Sample{Latencies: []time.Duration{10 * time.Millisecond}})
		r.Add("1", get, "gantry", Sample{Latencies: []time.Duration{time.Duration(gantryP50) * time.Millisecond}})
		r.Add("1", rate, "vanilla", Sample{Latencies: []time.Duration{time.Millisecond}, Requests: 100, Elapsed: time.Second})
		r.Add("1", rate, "gantry", Sample{Latencies: []time.Duration{time.Millisecond}, Requests: gantryRate, Elapsed: time.Second})
		return r
	}
	var out bytes.Buffer
	// GET p50 ratios 0.5, 2.0, 0.9: median 0.9 meets the goal although one run misses.
	// Throughput ratios 0.5, 0.9, 2.0: median 0.9 misses.
	PrintMedians(&out, []*Results{run(5, 50), run(20, 90), run(9, 200)})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 5)
	// One sample a server: p99 is p50, and its median 0.90 meets the p99 goal too.
	assert.Contains(t, lines[2], "| GET | 1 | 0.50 / 2.00 / 0.90 | 0.90 | 0.50 / 2.00 / 0.90 | 0.90 |")
	assert.Contains(t, lines[4], "| 0.50 / 0.90 / 2.00 | **0.90 MISS** |")
}
