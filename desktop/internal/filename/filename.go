// Package filename makes file names from the outside world safe to use:
// the names customers give attachments become names of files the app
// saves, so no name may reach outside the folder the agent chose, hide its
// real extension, or be one the OS reserves. It also tells which names run
// programs when opened, which the app never opens by itself.
package filename

import (
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxBytes keeps names well under every file system's limit (255 bytes).
const maxBytes = 200

// reserved are Windows device names, forbidden with any extension.
var reserved = map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true}

// Safe returns a name usable as one file in a folder on Linux, macOS and
// Windows: path parts, control and bidirectional-override characters and
// characters Windows forbids are replaced, leading dots, trailing dots and
// spaces dropped, reserved device names prefixed, and the length bounded
// (keeping the extension). An unusable name becomes "file".
func Safe(name string) string {
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	// Only the last path element counts, whatever the separator.
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	name = strings.TrimRight(name, ". ")
	if name == "" {
		return "file"
	}
	base, ext := splitExt(name)
	if reserved[strings.ToUpper(base)] {
		base = "_" + base
	}
	if len(base)+len(ext) > maxBytes {
		if len(ext) > 20 {
			ext = ""
		}
		base = truncate(base, maxBytes-len(ext))
	}
	return base + ext
}

func splitExt(name string) (string, string) {
	ext := filepath.Ext(name)
	if ext == name || strings.ContainsAny(ext, " ") {
		return name, ""
	}
	return strings.TrimSuffix(name, ext), ext
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// runnable are extensions whose files run code when opened.
var runnable = map[string]bool{
	".exe": true, ".com": true, ".bat": true, ".cmd": true, ".msi": true, ".msp": true, ".scr": true, ".pif": true, ".cpl": true,
	".ps1": true, ".psm1": true, ".vbs": true, ".vbe": true, ".js": true, ".jse": true, ".wsf": true, ".wsh": true, ".hta": true,
	".lnk": true, ".reg": true, ".jar": true, ".sh": true, ".bash": true, ".zsh": true, ".csh": true, ".run": true, ".bin": true,
	".appimage": true, ".desktop": true, ".deb": true, ".rpm": true, ".app": true, ".command": true, ".pkg": true, ".dmg": true,
	".py": true, ".pl": true, ".rb": true, ".scpt": true, ".url": true, ".library-ms": true, ".settingcontent-ms": true,
}

// Runnable reports whether opening a file of this name may run a program.
func Runnable(name string) bool {
	return runnable[strings.ToLower(filepath.Ext(strings.TrimRight(name, ". ")))]
}
