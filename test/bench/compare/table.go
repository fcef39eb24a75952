package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Goals of issue 12: Gantry/vanilla at most these ratios of latency, and at least parity in throughput.
const (
	goalP50Ratio        = 1.0
	goalP99Ratio        = 1.10
	goalThroughputRatio = 1.0
)

// key names one cell group of the table: a phase (how many workspaces Gantry holds besides the tested one), an
// operation, a server.
type key struct {
	phase, op, server string
}

// Results gathers every batch's Sample, in the order phases and operations were first recorded.
type Results struct {
	latencies map[key][]time.Duration
	rates     map[key][]float64 // requests per second, one per batch
	phases    []string
	ops       []Operation
}

// NewResults returns empty results for ops.
func NewResults(ops []Operation) *Results {
	return &Results{latencies: map[key][]time.Duration{}, rates: map[key][]float64{}, ops: ops}
}

// Add records one batch.
func (r *Results) Add(phase string, op Operation, server string, s Sample) {
	if !slices.Contains(r.phases, phase) {
		r.phases = append(r.phases, phase)
	}
	k := key{phase, op.Name, server}
	r.latencies[k] = append(r.latencies[k], s.Latencies...)
	if op.Throughput && s.Elapsed > 0 {
		r.rates[k] = append(r.rates[k], float64(s.Requests)/s.Elapsed.Seconds())
	}
}

// percentile returns the q-quantile (0 < q ≤ 1) of d by the nearest-rank method.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[max(0, int(math.Ceil(q*float64(len(s))))-1)]
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Ratios are one row's figures Gantry/vanilla.
type Ratios struct {
	P50, P99 float64
	// Throughput is the ratio of the median request rates; zero for a row without one.
	Throughput float64
}

// ratios returns the row of op in phase.
func (r *Results) ratios(phase string, op Operation) Ratios {
	v, g := r.latencies[key{phase, op.Name, "vanilla"}], r.latencies[key{phase, op.Name, "gantry"}]
	out := Ratios{P50: ratio(percentile(g, 0.5), percentile(v, 0.5)), P99: ratio(percentile(g, 0.99), percentile(v, 0.99))}
	if op.Throughput {
		out.Throughput = median(r.rates[key{phase, op.Name, "gantry"}]) / median(r.rates[key{phase, op.Name, "vanilla"}])
	}
	return out
}

// misses counts the figures of a row that miss their goal.
func (x Ratios) misses(throughput bool) int {
	n := 0
	if x.P50 > goalP50Ratio {
		n++
	}
	if x.P99 > goalP99Ratio {
		n++
	}
	if throughput && x.Throughput < goalThroughputRatio {
		n++
	}
	return n
}

// Misses counts the figures that miss their goal.
func (r *Results) Misses() int {
	misses := 0
	for _, phase := range r.phases {
		for _, op := range r.ops {
			misses += r.ratios(phase, op).misses(op.Throughput)
		}
	}
	return misses
}

// PrintMedians writes, in Markdown, each row's ratios in every run and their median (the goal is judged on the
// median), a median that misses its goal marked "MISS". All runs must have measured the same operations.
func PrintMedians(w io.Writer, runs []*Results) {
	fmt.Fprintln(w, "| operation | Gantry among | p50 ratio per run | median | p99 ratio per run | median |")
	fmt.Fprintln(w, "|---|---|---|---:|---|---:|")
	first := runs[0]
	for _, op := range first.ops {
		for _, phase := range first.phases {
			var p50, p99, rate []float64
			for _, r := range runs {
				x := r.ratios(phase, op)
				p50, p99, rate = append(p50, x.P50), append(p99, x.P99), append(rate, x.Throughput)
			}
			m := Ratios{P50: median(p50), P99: median(p99)}
			name := op.Name
			if op.Throughput {
				name += ", latency"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", name, phase, joinRatios(p50),
				mark(m.P50, m.P50 > goalP50Ratio), joinRatios(p99), mark(m.P99, m.P99 > goalP99Ratio))
			if op.Throughput {
				t := median(rate)
				fmt.Fprintf(w, "| %s, throughput (ratio Gantry/vanilla, goal ≥ 1.0) | %s | %s | %s | | |\n", op.Name, phase,
					joinRatios(rate), mark(t, t < goalThroughputRatio))
			}
		}
	}
}

func joinRatios(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, " / ")
}

func ratio(gantry, vanilla time.Duration) float64 {
	if vanilla == 0 {
		return math.Inf(1)
	}
	return float64(gantry) / float64(vanilla)
}

// Print writes the table in Markdown: per phase and operation, p50 and p99 of each server (milliseconds) and the
// ratios Gantry/vanilla, a ratio that misses its goal marked "MISS". The throughput row gives requests per second
// (median of the batches) in the p50 columns, and Gantry/vanilla of that rate, whose goal is ≥ 1.0.
func (r *Results) Print(w io.Writer) {
	fmt.Fprintln(w, "| operation | Gantry among | samples | vanilla p50 | vanilla p99 | Gantry p50 | Gantry p99 | p50 ratio | p99 ratio |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, op := range r.ops {
		for _, phase := range r.phases {
			v, g := r.latencies[key{phase, op.Name, "vanilla"}], r.latencies[key{phase, op.Name, "gantry"}]
			vp50, vp99, gp50, gp99 := percentile(v, 0.5), percentile(v, 0.99), percentile(g, 0.5), percentile(g, 0.99)
			name := op.Name
			if op.Throughput {
				name += ", latency"
			}
			fmt.Fprintf(w, "| %s | %s | %d / %d | %s | %s | %s | %s | %s | %s |\n", name, phase, len(v), len(g),
				ms(vp50), ms(vp99), ms(gp50), ms(gp99),
				mark(ratio(gp50, vp50), ratio(gp50, vp50) > goalP50Ratio),
				mark(ratio(gp99, vp99), ratio(gp99, vp99) > goalP99Ratio))
			if op.Throughput {
				vr, gr := median(r.rates[key{phase, op.Name, "vanilla"}]), median(r.rates[key{phase, op.Name, "gantry"}])
				fmt.Fprintf(w, "| %s, throughput (req/s; ratio Gantry/vanilla, goal ≥ 1.0) | %s | %d / %d batches | %.0f | | %.0f | | %s | |\n",
					op.Name, phase, len(r.rates[key{phase, op.Name, "vanilla"}]), len(r.rates[key{phase, op.Name, "gantry"}]),
					vr, gr, mark(gr/vr, gr/vr < goalThroughputRatio))
			}
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// mark formats a ratio, with three decimals where two would round a miss onto its goal (1.004 is no 1.00).
func mark(ratio float64, miss bool) string {
	if !miss {
		return fmt.Sprintf("%.2f", ratio)
	}
	digits := fmt.Sprintf("%.2f", ratio)
	if digits == fmt.Sprintf("%.2f", goalP50Ratio) || digits == fmt.Sprintf("%.2f", goalP99Ratio) {
		digits = fmt.Sprintf("%.3f", ratio)
	}
	return "**" + digits + " MISS**"
}
