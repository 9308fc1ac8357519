package rpctest

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Metrics: reading the Prometheus text format a server exposes.

// Sample is one line of the Prometheus text format.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

var labelPair = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

// ParseMetrics reads the Prometheus text format: the samples, and the type
// of each metric family.
func ParseMetrics(t *testing.T, text string) ([]Sample, map[string]string) {
	t.Helper()
	var samples []Sample
	types := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			if name, typ, ok := strings.Cut(f, " "); ok {
				types[name] = typ
			}
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := Sample{Labels: map[string]string{}}
		var rest string
		if i, j := strings.IndexByte(line, '{'), strings.LastIndexByte(line, '}'); i >= 0 && j > i {
			s.Name, rest = line[:i], line[j+1:]
			for _, m := range labelPair.FindAllStringSubmatch(line[i+1:j], -1) {
				s.Labels[m[1]] = m[2]
			}
		} else {
			s.Name, rest, _ = strings.Cut(line, " ")
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			t.Fatalf("metrics line without a value: %q", line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		s.Value = v
		samples = append(samples, s)
	}
	return samples, types
}

// Find returns the value of the Sample with the name and (at least) the
// labels, and whether there is one.
func Find(samples []Sample, name string, labels map[string]string) (float64, bool) {
	for _, s := range samples {
		if s.Name != name {
			continue
		}
		match := true
		for k, v := range labels {
			match = match && s.Labels[k] == v
		}
		if match {
			return s.Value, true
		}
	}
	return 0, false
}

// Scrape reads the server's /metrics.
func Scrape(t *testing.T, srv *Server) []Sample {
	t.Helper()
	resp, body := Do(t, http.DefaultClient, http.MethodGet, srv.MetricsURL+"/metrics", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	samples, _ := ParseMetrics(t, body)
	return samples
}
