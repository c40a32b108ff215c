package sightings

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nethunt/nethunt/internal/event"
)

// Asset sides as written in Sighting.AssetSide: which address of the
// triggering event the new value belongs to.
const (
	SideSrc  = "src"
	SideDest = "dest"
)

// Extractor reads one key's value from an event, with the host the value
// belongs to and which side of the event that host is. An empty value means
// the event does not carry the key.
type Extractor func(ev *event.Event) (value string, asset netip.Addr, side string)

// keySpec is one row of the key table. Exactly one of get and appendTo is
// set: get for values that already exist as strings in the event (no copy),
// appendTo for composite values (service pairs), built in the tracker's
// scratch buffer so the hot path does not allocate.
type keySpec struct {
	name   string
	asset  string   // documentation: whose value it is
	events []string // event types it is read from
	desc   string

	get      Extractor
	appendTo func(t *Tracker, dst []byte, ev *event.Event) ([]byte, netip.Addr, string)
	// derive, when set, maps the extracted value to the tracked one
	// (query name → registered domain); "" drops it.
	derive func(t *Tracker, v string) string
}

// Event types the app-layer keys are read from. Alerts carry the same
// app-layer objects as the records they fire on (their addresses follow the
// packet, so sides are resolved through flow.src_ip or direction).
var (
	tlsEvents   = []string{"tls", "alert"}
	httpEvents  = []string{"http", "alert"}
	sshEvents   = []string{"ssh", "alert"}
	dnsEvents   = []string{"dns", "alert"}
	quicEvents  = []string{"quic", "alert"}
	fileEvents  = []string{"fileinfo"}
	serviceEvts = []string{"flow", "http", "tls", "ssh", "dns"}
)

// keyTable is the list of tracked keys, in documentation order. Adding a key
// is adding a row: name, whose value it is, where it is read from, how.
var keyTable = []keySpec{
	{name: "tls.sni", asset: "dest (server)", events: tlsEvents,
		desc: "TLS Server Name Indication asked by a client.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.TLS == nil {
				return "", netip.Addr{}, ""
			}
			return server(ev, ev.TLS.SNI)
		}},
	{name: "tls.subject", asset: "dest (server)", events: tlsEvents,
		desc: "Subject DN of a server certificate.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.TLS == nil {
				return "", netip.Addr{}, ""
			}
			return server(ev, ev.TLS.Subject)
		}},
	{name: "tls.issuerdn", asset: "dest (server)", events: tlsEvents,
		desc: "Issuer DN of a server certificate (a new CA on the network).",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.TLS == nil {
				return "", netip.Addr{}, ""
			}
			return server(ev, ev.TLS.IssuerDN)
		}},
	{name: "tls.fingerprint", asset: "dest (server)", events: tlsEvents,
		desc: "SHA-1 fingerprint of a server certificate.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.TLS == nil {
				return "", netip.Addr{}, ""
			}
			return server(ev, ev.TLS.Fingerprint)
		}},
	{name: "tls.ja3.hash", asset: "src (client)", events: tlsEvents,
		desc: "JA3 hash of a TLS client hello.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.TLS == nil || ev.TLS.JA3 == nil {
				return "", netip.Addr{}, ""
			}
			return client(ev, ev.TLS.JA3.Hash)
		}},
	{name: "tls.ja3s.hash", asset: "dest (server)", events: tlsEvents,
		desc: "JA3S hash of a TLS server hello.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.TLS == nil || ev.TLS.JA3S == nil {
				return "", netip.Addr{}, ""
			}
			return server(ev, ev.TLS.JA3S.Hash)
		}},
	{name: "tls.ja4", asset: "src (client)", events: tlsEvents,
		desc: "JA4 fingerprint of a TLS client.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.TLS == nil {
				return "", netip.Addr{}, ""
			}
			return client(ev, ev.TLS.JA4)
		}},
	{name: "quic.sni", asset: "dest (server)", events: quicEvents,
		desc: "Server name asked over QUIC.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.QUIC == nil {
				return "", netip.Addr{}, ""
			}
			return server(ev, ev.QUIC.SNI)
		}},
	{name: "quic.ja4", asset: "src (client)", events: quicEvents,
		desc: "JA4 fingerprint of a QUIC client.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.QUIC == nil {
				return "", netip.Addr{}, ""
			}
			return client(ev, ev.QUIC.JA4)
		}},
	{name: "http.hostname", asset: "dest (server)", events: httpEvents,
		desc: "HTTP Host asked by a client.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.HTTP == nil {
				return "", netip.Addr{}, ""
			}
			return server(ev, ev.HTTP.Hostname)
		}},
	{name: "http.http_user_agent", asset: "src (client)", events: httpEvents,
		desc: "HTTP User-Agent of a client.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.HTTP == nil {
				return "", netip.Addr{}, ""
			}
			return client(ev, ev.HTTP.UserAgent)
		}},
	{name: "http.server", asset: "dest (server)", events: httpEvents,
		desc: "HTTP Server response header (from http.response_headers).",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.HTTP == nil {
				return "", netip.Addr{}, ""
			}
			return server(ev, header(ev.HTTP.ResponseHeaders, "server"))
		}},
	{name: "ssh.client.software_version", asset: "src (client)", events: sshEvents,
		desc: "SSH client software banner.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.SSH == nil || ev.SSH.Client == nil {
				return "", netip.Addr{}, ""
			}
			return client(ev, ev.SSH.Client.SoftwareVersion)
		}},
	{name: "ssh.server.software_version", asset: "dest (server)", events: sshEvents,
		desc: "SSH server software banner.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.SSH == nil || ev.SSH.Server == nil {
				return "", netip.Addr{}, ""
			}
			return server(ev, ev.SSH.Server.SoftwareVersion)
		}},
	{name: "dns.registered_domain", asset: "the client that asked", events: dnsEvents,
		desc: "Registered domain (public suffix + 1 label) of a queried name, lower-cased; reverse (.arpa), single-label and IP-literal names are skipped.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.DNS == nil {
				return "", netip.Addr{}, ""
			}
			name := firstName(ev.DNS)
			if ev.EventType == "dns" {
				if dnsClientIsSrc(ev) {
					return name, ev.SrcIP, SideSrc
				}
				return name, ev.DestIP, SideDest
			}
			return client(ev, name)
		},
		derive: func(_ *Tracker, v string) string { return registeredDomain(v) }},
	{name: "fileinfo.sha256", asset: "dest (receiver)", events: fileEvents,
		desc: "SHA-256 of a transferred file (needs file hashing on the sensor).",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.FileInfo == nil || ev.FileInfo.SHA256 == "" {
				return "", netip.Addr{}, ""
			}
			return ev.FileInfo.SHA256, ev.DestIP, SideDest
		}},
	{name: "fileinfo.md5", asset: "dest (receiver)", events: fileEvents,
		desc: "MD5 of a transferred file, only when the sensor logs no SHA-256.",
		get: func(ev *event.Event) (string, netip.Addr, string) {
			if ev.FileInfo == nil || ev.FileInfo.SHA256 != "" || ev.FileInfo.MD5 == "" {
				return "", netip.Addr{}, ""
			}
			return ev.FileInfo.MD5, ev.DestIP, SideDest
		}},
	{name: "service", asset: "dest (server)", events: serviceEvts,
		desc: "A server answering on a port with an application protocol: `ip/port/app_proto` (e.g. `10.0.0.8/8443/tls`). From flow records whose server sent packets back and app-layer records that carry the server's answer.",
		appendTo: func(t *Tracker, dst []byte, ev *event.Event) ([]byte, netip.Addr, string) {
			svc, ok := t.serviceOf(ev)
			if !ok {
				return dst, netip.Addr{}, ""
			}
			dst = svc.server.AppendTo(dst)
			dst = append(dst, '/')
			dst = strconv.AppendInt(dst, svc.port, 10)
			dst = append(dst, '/')
			dst = append(dst, svc.app...)
			return dst, svc.server, svc.serverSide
		}},
	{name: "client_service", asset: "src (client)", events: serviceEvts,
		desc: "A client using a server's service for the first time: `client->server:port/app_proto` (e.g. `10.0.0.5->10.0.0.8:8443/tls`, IPv6 servers in brackets). Same sources as service.",
		appendTo: func(t *Tracker, dst []byte, ev *event.Event) ([]byte, netip.Addr, string) {
			svc, ok := t.serviceOf(ev)
			if !ok || !svc.client.IsValid() {
				return dst, netip.Addr{}, ""
			}
			dst = svc.client.AppendTo(dst)
			dst = append(dst, "->"...)
			dst = netip.AddrPortFrom(svc.server, uint16(svc.port)).AppendTo(dst)
			dst = append(dst, '/')
			dst = append(dst, svc.app...)
			return dst, svc.client, svc.clientSide
		}},
}

// KeyInfo documents one tracked key.
type KeyInfo struct {
	Name   string   // as written in sighting.key
	Asset  string   // whose value it is (the sighting's asset)
	Events []string // event types it is read from
	Desc   string
}

// Keys lists every key the tracker knows, in table order.
func Keys() []KeyInfo {
	out := make([]KeyInfo, len(keyTable))
	for i, k := range keyTable {
		out[i] = KeyInfo{Name: k.name, Asset: k.asset, Events: append([]string(nil), k.events...), Desc: k.desc}
	}
	return out
}

// CheckKeys reports unknown names in a key list (config validation); New
// ignores unknown names.
func CheckKeys(names []string) error {
	var bad []string
	for _, n := range names {
		if lookupKey(n) == nil {
			bad = append(bad, strconv.Quote(n))
		}
	}
	if len(bad) > 0 {
		known := make([]string, len(keyTable))
		for i, k := range keyTable {
			known[i] = k.name
		}
		return fmt.Errorf("sightings: unknown key %s (known: %s)", strings.Join(bad, ", "), strings.Join(known, ", "))
	}
	return nil
}

func lookupKey(name string) *keySpec {
	for i := range keyTable {
		if keyTable[i].name == name {
			return &keyTable[i]
		}
	}
	return nil
}

// --- sides -----------------------------------------------------------------

// clientIsSrc reports whether the event's src_ip is the flow's client.
// App-layer records and flows are logged in flow direction (src = client).
// Alerts follow the packet: a rule firing on a to_client packet puts the
// server in src_ip, so alerts are resolved through flow.src_ip (7.0+) or
// direction (8.0). DNS is handled by dnsClientIsSrc.
func clientIsSrc(ev *event.Event) bool {
	if ev.EventType != "alert" {
		return true
	}
	if ev.Flow != nil && ev.Flow.SrcIP != "" {
		return ev.Flow.SrcIP != ev.DestIPStr || ev.Flow.SrcIP == ev.SrcIPStr
	}
	return ev.Direction != "to_client"
}

// dnsClientIsSrc: v2 (Suricata 7) logs answers with src_ip = client, v3
// (Suricata 8) logs responses with src_ip = responder. Legacy records and
// odd converters are caught by the port: a source port of 53 that is not
// also the destination port is a server.
func dnsClientIsSrc(ev *event.Event) bool {
	d := ev.DNS
	if d.Version >= 3 && (d.Type == "response" || d.Type == "answer") {
		return false
	}
	if ev.SrcPort == 53 && ev.DestPort != 53 {
		return false
	}
	return true
}

func server(ev *event.Event, v string) (string, netip.Addr, string) {
	if v == "" {
		return "", netip.Addr{}, ""
	}
	if clientIsSrc(ev) {
		return v, ev.DestIP, SideDest
	}
	return v, ev.SrcIP, SideSrc
}

func client(ev *event.Event, v string) (string, netip.Addr, string) {
	if v == "" {
		return "", netip.Addr{}, ""
	}
	if clientIsSrc(ev) {
		return v, ev.SrcIP, SideSrc
	}
	return v, ev.DestIP, SideDest
}

func header(hs []event.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// firstName is the queried name of a DNS record in any layout (the decoder
// folds v1/v2/v3 into Names; a message with several questions is
// practically unseen, so the first one stands for the record).
func firstName(d *event.DNS) string {
	if len(d.Names) > 0 {
		return d.Names[0]
	}
	if d.RRName != "" {
		return d.RRName
	}
	if len(d.Queries) > 0 {
		return d.Queries[0].RRName
	}
	if len(d.Query) > 0 {
		return d.Query[0].RRName
	}
	return ""
}

// --- services --------------------------------------------------------------

type service struct {
	client, server         netip.Addr
	clientSide, serverSide string
	port                   int64
	app                    string
}

// serviceOf finds the server side of an event in which the server answered:
//   - flow records with a detected (or failed) app_proto and packets back
//     to the client. TCP flows only get an app_proto after the handshake and
//     client data, so a port that merely reset the SYN never counts; failed
//     detection is kept as app_proto "unknown" (an open port speaking
//     something Suricata does not know is exactly what a hunter wants);
//   - http records with a response (status or response headers), tls
//     records with a server certificate, JA3S or server ALPN, ssh records
//     with a server banner, dns responses.
func (t *Tracker) serviceOf(ev *event.Event) (service, bool) {
	// service and client_service both ask; compute once per event.
	if t.svcEv != ev {
		t.svcEv = ev
		t.svc, t.svcOK = serviceOf(ev)
	}
	return t.svc, t.svcOK
}

func serviceOf(ev *event.Event) (service, bool) {
	var s service
	clientSrc := true
	switch ev.EventType {
	case "flow":
		if ev.Flow == nil || ev.Flow.PktsToClient <= 0 || ev.AppProto == "" {
			return s, false
		}
		s.app = normApp(ev.AppProto)
	case "http":
		h := ev.HTTP
		if h == nil || (h.Status == nil && h.StatusString == "" && len(h.ResponseHeaders) == 0) {
			return s, false
		}
		s.app = appOf(ev)
		if ev.AppProto == "" && h.Version == "2" {
			s.app = "http2"
		}
	case "tls":
		t := ev.TLS
		if t == nil || (t.Subject == "" && t.Fingerprint == "" && t.JA3S == nil && len(t.ServerALPNs) == 0) {
			return s, false
		}
		s.app = appOf(ev)
	case "ssh":
		if ev.SSH == nil || ev.SSH.Server == nil || (ev.SSH.Server.SoftwareVersion == "" && ev.SSH.Server.ProtoVersion == "") {
			return s, false
		}
		s.app = appOf(ev)
	case "dns":
		d := ev.DNS
		if d == nil || (d.Type != "answer" && d.Type != "response") {
			return s, false
		}
		clientSrc = dnsClientIsSrc(ev)
		s.app = appOf(ev)
	default:
		return s, false
	}
	if clientSrc {
		s.client, s.server, s.port = ev.SrcIP, ev.DestIP, ev.DestPort
		s.clientSide, s.serverSide = SideSrc, SideDest
	} else {
		s.client, s.server, s.port = ev.DestIP, ev.SrcIP, ev.SrcPort
		s.clientSide, s.serverSide = SideDest, SideSrc
	}
	if !s.server.IsValid() || s.port < 0 || s.port > 65535 {
		return s, false
	}
	return s, true
}

func appOf(ev *event.Event) string {
	if ev.AppProto != "" {
		return normApp(ev.AppProto)
	}
	return ev.EventType
}

// normApp folds the names one protocol goes by: EVE writes HTTP/1 as
// "http" (rule keywords say "http1"); failed detection becomes "unknown".
func normApp(a string) string {
	switch a {
	case "http1":
		return "http"
	case "failed":
		return "unknown"
	}
	return a
}
