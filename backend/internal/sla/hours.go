package sla

import (
	"slices"
	"time"
)

// Span is part of a weekday, in minutes after midnight: [Start, End).
type Span struct {
	Weekday time.Weekday `json:"weekday"`
	Start   int          `json:"start"`
	End     int          `json:"end"`
}

// Hours are when a team works: spans of the week in a time zone, minus
// holidays ("2006-01-02" in that zone). No spans at all means always.
type Hours struct {
	Zone     string   `json:"time_zone"`
	Spans    []Span   `json:"spans"`
	Holidays []string `json:"holidays"`
}

// Always is round-the-clock hours.
func Always() Hours { return Hours{Zone: "UTC"} }

// Add returns the instant d of working time after start: the clock runs
// inside the spans and stops outside them and on holidays.
func (h Hours) Add(start time.Time, d time.Duration) time.Time {
	if len(h.Spans) == 0 || d <= 0 {
		return start.Add(d)
	}
	loc, err := time.LoadLocation(h.Zone)
	if err != nil {
		loc = time.UTC
	}
	t := start.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	for range 3 * 366 { // a year with one working minute still ends
		if !slices.Contains(h.Holidays, day.Format(time.DateOnly)) {
			for _, sp := range h.daySpans(day.Weekday()) {
				// Wall-clock bounds, not midnight plus so many minutes: on the
				// nights the clocks change, 9:00 is not 9 hours after midnight.
				// A span over the change holds the time that really passes in
				// it (an hour less in spring, an hour more in autumn).
				from := time.Date(day.Year(), day.Month(), day.Day(), 0, sp.Start, 0, 0, loc)
				to := time.Date(day.Year(), day.Month(), day.Day(), 0, sp.End, 0, 0, loc)
				if !to.After(t) {
					continue
				}
				if from.Before(t) {
					from = t
				}
				left := to.Sub(from)
				if d <= left {
					return from.Add(d).UTC()
				}
				d -= left
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return start.Add(d)
}

// daySpans are the weekday's spans in order.
func (h Hours) daySpans(wd time.Weekday) []Span {
	var out []Span
	for _, sp := range h.Spans {
		if sp.Weekday == wd && sp.End > sp.Start {
			out = append(out, sp)
		}
	}
	slices.SortFunc(out, func(a, b Span) int { return a.Start - b.Start })
	return out
}
