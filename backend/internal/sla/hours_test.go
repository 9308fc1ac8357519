package sla

import (
	"testing"
	"time"
)

func TestHoursAdd(t *testing.T) {
	t.Parallel()
	// Mon-Fri 9:00-12:00 and 13:00-17:00 in Berlin, Christmas off.
	var spans []Span
	for wd := time.Monday; wd <= time.Friday; wd++ {
		spans = append(spans, Span{Weekday: wd, Start: 9 * 60, End: 12 * 60}, Span{Weekday: wd, Start: 13 * 60, End: 17 * 60})
	}
	h := Hours{Zone: "Europe/Berlin", Spans: spans, Holidays: []string{"2026-12-25"}}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		start string
		d     time.Duration
		want  string
	}{
		{"2026-11-23 10:00", time.Hour, "2026-11-23 11:00"},        // Monday, inside a span
		{"2026-11-23 11:30", time.Hour, "2026-11-23 13:30"},        // over lunch
		{"2026-11-23 16:30", time.Hour, "2026-11-24 09:30"},        // past closing: next morning
		{"2026-11-21 10:00", time.Hour, "2026-11-23 10:00"},        // Saturday: Monday
		{"2026-11-23 07:00", 30 * time.Minute, "2026-11-23 09:30"}, // before opening
		{"2026-12-24 16:00", 2 * time.Hour, "2026-12-28 10:00"},    // Thursday, Christmas Friday off, weekend
		{"2026-11-23 09:00", 7 * time.Hour, "2026-11-23 17:00"},    // exactly one working day
		{"2026-11-23 09:00", 7*time.Hour + time.Minute, "2026-11-24 09:01"},
	} {
		got := h.Add(at(tc.start), tc.d)
		if want := at(tc.want); !got.Equal(want) {
			t.Errorf("%s + %v = %s, want %s", tc.start, tc.d, got.In(berlin).Format("2006-01-02 15:04 Mon"), tc.want)
		}
	}
	if got, start := Always().Add(at("2026-11-21 10:00"), time.Hour), at("2026-11-21 11:00"); !got.Equal(start) {
		t.Errorf("round the clock: %s", got)
	}
}
