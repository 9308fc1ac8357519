package main

import (
	"fmt"
	"slices"
)

// combineRuns makes one result of a scenario's runs: each check's median
// run (or, for a correctness count, its worst run) with the spread over all
// of them, judged again against its bound; every run's phases, numbered;
// the notes of the first run. One run is returned as it is.
func combineRuns(runs []*Result) (*Result, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("no runs to combine")
	}
	if len(runs) == 1 {
		return runs[0], nil
	}
	first := runs[0]
	out := &Result{Scenario: first.Scenario, Notes: first.Notes}
	for i, r := range runs {
		out.Seconds += r.Seconds
		for _, p := range r.Phases {
			p.Run = i + 1
			out.Phases = append(out.Phases, p)
		}
		for _, n := range r.Notes[min(len(r.Notes), len(first.Notes)):] {
			out.Notes = append(out.Notes, fmt.Sprintf("run %d: %s", i+1, n))
		}
	}
	for k, c := range first.Checks {
		same := make([]Check, 0, len(runs))
		for i, r := range runs {
			if k >= len(r.Checks) || r.Checks[k].Metric != c.Metric || r.Checks[k].Target != c.Target {
				return nil, fmt.Errorf("run %d reported other checks than run 1 (%s %s)", i+1, c.Metric, c.Target)
			}
			same = append(same, r.Checks[k])
		}
		out.Checks = append(out.Checks, combineCheck(same))
	}
	return out, nil
}

// combineCheck is the median (or worst) of one check over the runs, with
// the spread of its values.
func combineCheck(cs []Check) Check {
	// Sorted from best to worst run, so that the median of an even
	// number of runs is the worse of the two middle ones.
	order := slices.Clone(cs)
	key := func(c Check) float64 {
		v := c.Tandem
		if c.onRatio && c.Ratio != nil {
			v = *c.Ratio
		}
		if c.atLeast {
			return -v
		}
		return v
	}
	slices.SortStableFunc(order, func(a, b Check) int {
		switch {
		case key(a) < key(b):
			return -1
		case key(a) > key(b):
			return 1
		}
		return 0
	})
	pick := order[len(order)/2]
	if pick.worst {
		pick = order[len(order)-1]
	}
	sp := &Spread{Runs: len(cs), TandemMin: cs[0].Tandem, TandemMax: cs[0].Tandem}
	for _, c := range cs {
		sp.TandemMin, sp.TandemMax = min(sp.TandemMin, c.Tandem), max(sp.TandemMax, c.Tandem)
		if c.Ratio != nil {
			if sp.RatioMin == nil {
				sp.RatioMin, sp.RatioMax = ptr(*c.Ratio), ptr(*c.Ratio)
			}
			*sp.RatioMin, *sp.RatioMax = min(*sp.RatioMin, *c.Ratio), max(*sp.RatioMax, *c.Ratio)
		}
	}
	pick.Spread = sp
	pick.judge()
	if pick.onRatio && pick.Ratio != nil && *pick.Ratio == 1 && pick.Tandem == 0 && pick.Baseline != nil && *pick.Baseline == 0 {
		pick.Pass = true // both perfect, as ratioCheck has it
	}
	return pick
}
