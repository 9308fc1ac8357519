package contact

import (
	"strings"

	"github.com/mileusna/useragent"
)

// Device is what a browser's user agent says about it, for agents.
type Device struct {
	Browser string // "Chrome 131", "" when unknown
	OS      string // "Android 14", "macOS", "" when unknown
	Kind    string // "Desktop", "Phone", "Tablet" or ""
}

// ParseUserAgent reads a User-Agent header (mileusna/useragent does the
// matching).
func ParseUserAgent(s string) Device {
	if strings.TrimSpace(s) == "" {
		return Device{}
	}
	ua := useragent.Parse(s)
	var d Device
	if ua.Name != "" {
		d.Browser = strings.TrimSpace(ua.Name + " " + major(ua.Version))
	}
	d.OS = ua.OS
	// Desktop systems report an architecture ("x86_64") or a kernel
	// version, which says nothing to an agent.
	if v := major(ua.OSVersion); v != "" && ua.OS != "Linux" && ua.OS != "macOS" && ua.OS != "" {
		d.OS += " " + v
	}
	switch {
	case ua.Tablet:
		d.Kind = "Tablet"
	case ua.Mobile:
		d.Kind = "Phone"
	case ua.Desktop:
		d.Kind = "Desktop"
	}
	return d
}

// major keeps the first part of a dotted version ("131.0.0.0" -> "131").
func major(v string) string {
	v, _, _ = strings.Cut(v, ".")
	v, _, _ = strings.Cut(v, "_")
	return v
}
