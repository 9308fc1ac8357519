package outbound

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
)

// ErrPort is the refusal of a port of a well-known service that is not the
// web (mail, remote shells, databases, caches, brokers, container control):
// a call there would make Tandem a scanner, or a sender of mail and
// commands, for whoever chose the URL.
var ErrPort = fmt.Errorf("%w: the port is that of a mail, database or other non-web service", ErrRefused)

// servicePorts are the ports refused on every address the allowlist does
// not open: the Fetch standard's "bad ports" (the ports browsers refuse),
// and the ports of the databases, caches, brokers and control planes an
// SSRF is aimed at. The web's ports (80, 443, 8080, 8443, ...) are not here.
var servicePorts = map[uint16]bool{ //nolint:gochecknoglobals // read-only table
	// Fetch "bad ports": echo, discard, ..., ftp, ssh, telnet, smtp, dns,
	// pop3, rpcbind, netbios, imap, snmp, bgp, ldap, submission, irc, ...
	1: true, 7: true, 9: true, 11: true, 13: true, 15: true, 17: true, 19: true, 20: true, 21: true, 22: true,
	23: true, 25: true, 37: true, 42: true, 43: true, 53: true, 69: true, 77: true, 79: true, 87: true, 95: true,
	101: true, 102: true, 103: true, 104: true, 109: true, 110: true, 111: true, 113: true, 115: true, 117: true,
	119: true, 123: true, 135: true, 137: true, 139: true, 143: true, 161: true, 179: true, 389: true, 427: true,
	465: true, 512: true, 513: true, 514: true, 515: true, 526: true, 530: true, 531: true, 532: true, 540: true,
	548: true, 554: true, 556: true, 563: true, 587: true, 601: true, 636: true, 989: true, 990: true, 993: true,
	995: true, 1719: true, 1720: true, 1723: true, 2049: true, 3659: true, 4045: true, 4190: true, 5060: true,
	5061: true, 6000: true, 6566: true, 6665: true, 6666: true, 6667: true, 6668: true, 6669: true, 6679: true,
	6697: true, 10080: true,
	// Windows file sharing and remote desktops.
	445: true, 3389: true, 5900: true,
	// Databases and caches: MS SQL, Oracle, MySQL, PostgreSQL, CouchDB,
	// Redis, Cassandra, Elasticsearch (and its transport), memcached, MongoDB.
	1433: true, 1521: true, 3306: true, 5432: true, 5984: true, 6379: true, 9042: true, 9200: true, 9300: true,
	11211: true, 27017: true, 27018: true, 27019: true,
	// Brokers: MQTT (and over TLS), NATS, AMQP, Kafka, ZooKeeper.
	1883: true, 8883: true, 4222: true, 5672: true, 9092: true, 2181: true,
	// Container and cluster control: Docker, etcd, Kubernetes API, kubelet.
	2375: true, 2376: true, 2379: true, 2380: true, 6443: true, 10250: true, 10255: true,
}

// PortAllowed reports whether calls may go to the port of an address the
// allowlist does not open: any port but a well-known non-web service's.
// An allowlisted range is the operator's own choice, ports included.
func PortAllowed(port uint16) bool { return port != 0 && !servicePorts[port] }

// opened reports whether the allowlist opens the address.
func opened(addr netip.Addr, allow []netip.Prefix) bool {
	addr = addr.Unmap().WithZone("")
	for _, p := range allow {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// checkAddrPort is the dial-time check of the address a call connects to:
// a public address (or one the allowlist opens), and on a public address a
// port PortAllowed admits.
func checkAddrPort(ap netip.AddrPort, allow []netip.Prefix) error {
	a := ap.Addr().Unmap()
	switch {
	case !Allowed(a, allow):
		return fmt.Errorf("%w: %s", ErrRefused, a)
	case !PortAllowed(ap.Port()) && !opened(a, allow):
		return fmt.Errorf("%w: %s", ErrPort, netip.AddrPortFrom(a, ap.Port()))
	}
	return nil
}

// CheckPort is the save-time port check of a URL whose host is not looked
// up: CheckURL, then ErrPort for a port PortAllowed refuses, unless the
// host is an address the allowlist opens. (CheckDestination makes this
// check on every address a name resolves to.)
func CheckPort(raw string, allow []netip.Prefix) error {
	if err := CheckURL(raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw) // CheckURL parsed it
	if PortAllowed(urlPort(u)) {
		return nil
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil && opened(a, allow) {
		return nil
	}
	return ErrPort
}

// urlPort is the port a URL's calls go to: its own (CheckURL made sure
// it is one), or its scheme's.
func urlPort(u *url.URL) uint16 {
	if n, err := strconv.ParseUint(u.Port(), 10, 16); err == nil {
		return uint16(n) //nolint:gosec // ParseUint's bit size, 16, bounds it
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}
