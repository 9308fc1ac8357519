package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// filesOrigin sets FilesAddr and FilesURL: where tandemd serves uploaded
// files to browsers. Browsers send a host's cookies to every port of it,
// so the files origin is another host than the API's, not only another
// port: a files URL on the API's host (its public URL's or its listen
// address's) stops tandemd at start. On loopback the default is the other
// name of this machine (localhost for 127.0.0.1, and the reverse), so that
// `make run` needs no setting. There is no "off": the web app and the
// widget download only from there.
func (c *Config) filesOrigin(addr, publicURL string, bad func(name, format string, a ...any)) {
	if addr == "" {
		host, port, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return // --addr is reported already
		}
		if p, _ := strconv.Atoi(port); p != 0 {
			port = strconv.Itoa(p + 1)
		}
		addr = net.JoinHostPort(host, port)
	}
	c.FilesAddr = addr
	if _, err := listenHost(addr); err != nil {
		bad("files-addr", "%v", err)
		return
	}
	_, port, _ := net.SplitHostPort(addr)
	if addr == c.Addr && port != "0" {
		bad("files-addr", "must differ from --addr: files are served apart from the API")
		return
	}
	c.FilesURL = strings.TrimRight(publicURL, "/")
	if c.FilesURL == "" {
		if port == "0" {
			return // the server names the port it gets (DefaultFilesURL)
		}
		c.FilesURL = DefaultFilesURL(c.PublicURL, addr, c.TLSCert != "")
	}
	u, err := url.Parse(c.FilesURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		bad("files-url", "%q is not an address like https://files.support.shop.example", c.FilesURL)
		return
	}
	for _, api := range []string{c.PublicURL, "http://" + c.Addr} {
		if a, err := url.Parse(api); err == nil && strings.EqualFold(a.Hostname(), u.Hostname()) {
			what := "host"
			if origin(a) == origin(u) {
				what = "origin"
			}
			bad("files-url", "%q has the API's %s (%s): files must be served from another host, which the app's cookies and storage never reach (set TANDEM_FILES_URL to one)", c.FilesURL, what, a.Host)
			return
		}
	}
}

// DefaultFilesURL is the files origin's URL when TANDEM_FILES_URL is empty,
// for a listener on addr: its host, or on loopback and wildcard addresses
// the loopback name the API's public URL does not use.
func DefaultFilesURL(apiURL, addr string, tls bool) string {
	host, port, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	if host == "" || host == "localhost" || (ip != nil && (ip.IsUnspecified() || ip.IsLoopback())) {
		host = "localhost"
		if u, err := url.Parse(apiURL); err == nil && strings.EqualFold(u.Hostname(), "localhost") {
			host = "127.0.0.1"
		}
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// origin is a URL's scheme, host and port (the default one made explicit),
// as a browser compares them.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}
