package fields

import (
	"slices"
	"strings"

	"github.com/nethunt/nethunt/internal/event"
)

// The EVE fields nethunt types. Names are Suricata's dotted EVE paths so that
// filters copied from Kibana or Stamus keep working. Keep groups in EVE order.
func init() {
	// Common fields.
	add("timestamp", Time, "Event time (UTC), from the sensor's local timestamp with offset.", func(e *event.Event) any { return tm(e.Time) })
	add("event_type", String, "EVE record type: alert, flow, http, tls, dns, fileinfo, smb, krb5, dhcp, ssh, quic, anomaly, ...", func(e *event.Event) any { return str(e.EventType) })
	add("flow_id", Int, "Suricata flow id (51-bit); the same on every record of one flow, the join key between flow, app-layer and alert records.", func(e *event.Event) any {
		if e.FlowID == 0 {
			return nil
		}
		return int64(e.FlowID)
	})
	add("community_id", String, "Community ID flow hash (1:base64), shared with Zeek and other tools.", func(e *event.Event) any { return str(e.CommunityID) })
	add("src_ip", IP, "Source address of the packet that produced the record (for flow and alert records the client; for DNS v3 responses the responder).", func(e *event.Event) any { return ip(e.SrcIP) })
	add("src_port", Int, "Source port.", func(e *event.Event) any {
		if e.SrcPort == 0 && (e.SrcIPStr == "" || icmp(e.Proto)) {
			return nil // EVE omits ports for ICMP
		}
		return e.SrcPort
	})
	add("dest_ip", IP, "Destination address.", func(e *event.Event) any { return ip(e.DestIP) })
	add("dest_port", Int, "Destination port.", func(e *event.Event) any {
		if e.DestPort == 0 && (e.DestIPStr == "" || icmp(e.Proto)) {
			return nil
		}
		return e.DestPort
	})
	add("proto", String, "Transport protocol as Suricata names it: TCP, UDP, ICMP, IPv6-ICMP, ...", func(e *event.Event) any { return str(e.Proto) })
	add("app_proto", String, "Detected application protocol (http, tls, dns, smb, ...; 'failed' when detection gave up).", func(e *event.Event) any { return str(e.AppProto) })
	add("app_proto_orig", String, "Application protocol before a change, e.g. http before CONNECT turned the flow into tls.", func(e *event.Event) any { return str(e.AppProtoOrig) })
	add("host", String, "Sensor name (Suricata sensor-name).", func(e *event.Event) any { return str(e.Host) })
	add("in_iface", String, "Capture interface.", func(e *event.Event) any { return str(e.InIface) })
	add("vlan", Ints, "VLAN ids (several with QinQ).", func(e *event.Event) any {
		if len(e.Vlan) == 0 {
			return nil
		}
		return e.Vlan
	})
	add("tx_id", Int, "Application-layer transaction id within the flow.", func(e *event.Event) any { return i64p(e.TxID) })
	add("direction", String, "to_server or to_client (Suricata 8).", func(e *event.Event) any { return str(e.Direction) })
	add("pkt_src", String, "Where the packet came from, e.g. wire/pcap.", func(e *event.Event) any { return str(e.PktSrc) })
	add("icmp_type", Int, "ICMP type.", func(e *event.Event) any { return i64p(e.IcmpType) })
	add("icmp_code", Int, "ICMP code.", func(e *event.Event) any { return i64p(e.IcmpCode) })
	add("metadata.flowbits", Strings, "Flowbits set by rules on this flow (often used as tags).", func(e *event.Event) any {
		if e.Metadata == nil {
			return nil
		}
		return strs(e.Metadata.Flowbits)
	})
	add("src_group", Strings, "nethunt: network group(s) of src_ip from the configuration.", func(e *event.Event) any { return strs(e.Enrich.SrcGroups) })
	add("dest_group", Strings, "nethunt: network group(s) of dest_ip from the configuration.", func(e *event.Event) any { return strs(e.Enrich.DestGroups) })
	add("tags", Strings, "nethunt: tags set by policies (relevant, informational, ...).", func(e *event.Event) any { return strs(e.Enrich.Tags) })
	enrichmentFields()
	pseudo("ip", IP, "Pseudo-field: matches src_ip or dest_ip.", "src_ip", "dest_ip")
	pseudo("port", Int, "Pseudo-field: matches src_port or dest_port.", "src_port", "dest_port")

	alertFields()
	flowFields()
	httpFields()
	tlsFields()
	dnsFields()
	fileFields()
	smbFields()
	krb5Fields()
	dhcpFields()
	sshFields()
	quicFields()
	smtpFields()
	ftpFields()
	anomalyFields()
	sightingFields()
	findingFields()
}

// enrichmentFields are nethunt's additions (docs/enrichment.md); absent
// unless the enrichment applies (no GeoIP configured: no country).
func enrichmentFields() {
	geo := func(side string, get func(*event.Event) event.Geo) {
		add(side+"_country", String, "nethunt: ISO country code of "+side+"_ip (GeoIP).", func(e *event.Event) any { return str(get(e).Country) })
		add(side+"_asn", Int, "nethunt: autonomous system number of "+side+"_ip (GeoIP ASN).", func(e *event.Event) any {
			if n := get(e).ASN; n != 0 {
				return int64(n)
			}
			return nil
		})
		add(side+"_as_org", String, "nethunt: autonomous system organisation of "+side+"_ip.", func(e *event.Event) any { return str(get(e).ASOrg) })
	}
	geo("src", func(e *event.Event) event.Geo { return e.Enrich.SrcGeo })
	geo("dest", func(e *event.Event) event.Geo { return e.Enrich.DestGeo })
	hits := func(name, desc string, get func(event.IntelHit) string) {
		add("intel."+name, Strings, desc, func(e *event.Event) any {
			if len(e.Enrich.Intel) == 0 {
				return nil
			}
			out := make([]string, 0, len(e.Enrich.Intel))
			for _, h := range e.Enrich.Intel {
				if v := get(h); v != "" {
					out = append(out, v)
				}
			}
			return strs(out)
		})
	}
	hits("type", "nethunt: threat-intel indicator types matched (ip, cidr, domain, url, ja3, ja4, cert-sha1, user-agent, file hashes).", func(h event.IntelHit) string { return h.Type })
	hits("value", "nethunt: threat-intel indicators matched.", func(h event.IntelHit) string { return h.Value })
	hits("source", "nethunt: intel sources (feed names) that matched.", func(h event.IntelHit) string { return h.Source })
	hits("field", "nethunt: event fields that matched an indicator.", func(h event.IntelHit) string { return h.Field })
	add("domain", String, "nethunt: registered domain (public suffix + 1) of the event's name: TLS/QUIC SNI, HTTP host or DNS query.", func(e *event.Event) any { return str(e.Enrich.Domain) })
	add("cdn", String, "nethunt: CDN provider when the destination address or name is CDN infrastructure.", func(e *event.Event) any { return str(e.Enrich.CDN) })
	add("tunnel", String, "nethunt: tunnelling service (ngrok, trycloudflare, localtunnel, ...) of the event's name.", func(e *event.Event) any { return str(e.Enrich.Tunnel) })
	add("dyndns", String, "nethunt: dynamic-DNS provider of the event's name.", func(e *event.Event) any { return str(e.Enrich.DynDNS) })
	add("tor", String, "nethunt: Tor context: dest-relay, src-relay (from tor_relays), onion or tor2web (name).", func(e *event.Event) any { return str(e.Enrich.Tor) })
	add("proxy_port", String, "nethunt: label when dest_port is a well-known proxy port (squid, socks, tor, ...).", func(e *event.Event) any { return str(e.Enrich.ProxyPort) })
	add("host_random", Bool, "nethunt: the first label of the event's name looks machine-generated.", func(e *event.Event) any {
		if !e.Enrich.HostRandom {
			return nil
		}
		return true
	})
	add("tls.cert_traits", Strings, "nethunt: certificate traits: letsencrypt, free-ca, self-signed, short-validity, expired, tor-like, ...", func(e *event.Event) any { return strs(e.Enrich.CertTraits) })
}

func findingFields() {
	f := func(name string, t Type, desc string, get func(*event.Finding) any) {
		add("finding."+name, t, desc, func(e *event.Event) any {
			if e.Finding == nil {
				return nil
			}
			return get(e.Finding)
		})
	}
	f("id", String, "nethunt: stable finding id (the same detection always gets the same id).", func(x *event.Finding) any { return str(x.ID) })
	f("detector", String, "nethunt: the detector that raised the finding.", func(x *event.Finding) any { return str(x.Detector) })
	f("kind", String, "nethunt: what was found (internal_proxy, external_proxy, socks_proxy, tor, tunnel_service, domain_fronting, proxy_chain, cdn_abuse, new_destination, intel_match, possible_proxy).", func(x *event.Finding) any { return str(x.Kind) })
	f("technique", String, "nethunt: MITRE ATT&CK technique, e.g. T1090.001 (internal proxy), T1090.002 (external), T1090.003 (multi-hop), T1090.004 (domain fronting).", func(x *event.Finding) any { return str(x.Technique) })
	f("title", String, "nethunt: one-line summary.", func(x *event.Finding) any { return str(x.Title) })
	f("explanation", String, "nethunt: why this was raised, in words.", func(x *event.Finding) any { return str(x.Explanation) })
	f("severity", String, "nethunt: low, medium or high.", func(x *event.Finding) any { return str(x.Severity) })
	f("score", Int, "nethunt: escalation score; see finding.reasons for what made it.", func(x *event.Finding) any { return x.Score })
	f("decision", String, "nethunt: escalate or review, following the playbook.", func(x *event.Finding) any { return str(x.Decision) })
	f("reasons", Strings, "nethunt: each reason for the decision with its weight.", func(x *event.Finding) any { return strs(x.Reasons) })
	f("hosts", Strings, "nethunt: every host involved.", func(x *event.Finding) any { return strs(x.Hosts) })
	f("clients", Strings, "nethunt: internal clients involved.", func(x *event.Finding) any { return strs(x.Clients) })
	f("proxy", String, "nethunt: the proxy or pivot (ip[:port]).", func(x *event.Finding) any { return str(x.Proxy) })
	f("destinations", Strings, "nethunt: external destinations (IPs, names).", func(x *event.Finding) any { return strs(x.Destinations) })
	f("domains", Strings, "nethunt: domain names involved.", func(x *event.Finding) any { return strs(x.Domains) })
	f("hop_count", Int, "nethunt: proxy hops in a chain.", func(x *event.Finding) any {
		if x.HopCount == 0 {
			return nil
		}
		return x.HopCount
	})
	f("evidence", Strings, "nethunt: references of the evidence events (flow_id:N, community_id:X).", func(x *event.Finding) any { return strs(x.Evidence) })
	f("first_seen", Time, "nethunt: first evidence.", func(x *event.Finding) any { return parsedTime(x.FirstSeen) })
	f("last_seen", Time, "nethunt: last evidence.", func(x *event.Finding) any { return parsedTime(x.LastSeen) })
	f("event_count", Int, "nethunt: number of evidence events.", func(x *event.Finding) any { return x.EventCount })
}

func sightingFields() {
	s := func(name string, t Type, desc string, get func(*event.Sighting) any) {
		add("sighting."+name, t, desc, func(e *event.Event) any {
			if e.Sighting == nil {
				return nil
			}
			return get(e.Sighting)
		})
	}
	s("key", String, "nethunt: which kind of value was seen for the first time (tls.sni, http.http_user_agent, service, ...).", func(s *event.Sighting) any { return str(s.Key) })
	s("value", String, "nethunt: the value seen for the first time on the network.", func(s *event.Sighting) any { return str(s.Value) })
	s("asset", IP, "nethunt: the host the value belongs to (the server for SNIs and services, the client for user agents and JA3/JA4).", func(s *event.Sighting) any { return ip(ParseIP(s.Asset)) })
	s("asset_side", String, "nethunt: src or dest: which side of the triggering event the asset was.", func(s *event.Sighting) any { return str(s.AssetSide) })
	s("asset_role", Strings, "nethunt: Host Insights roles of the asset when the sighting was made.", func(s *event.Sighting) any { return strs(s.AssetRole) })
	s("asset_group", Strings, "nethunt: network groups of the asset.", func(s *event.Sighting) any { return strs(s.AssetGroup) })
	s("trigger_event_type", String, "nethunt: event_type of the event that carried the new value.", func(s *event.Sighting) any { return str(s.TriggerType) })
}

func alertFields() {
	a := func(name string, t Type, desc string, get func(*event.Alert) any) {
		add("alert."+name, t, desc, func(e *event.Event) any {
			if e.Alert == nil {
				return nil
			}
			return get(e.Alert)
		})
	}
	a("action", String, "allowed or blocked.", func(a *event.Alert) any { return str(a.Action) })
	a("gid", Int, "Rule generator id.", func(a *event.Alert) any { return a.GID })
	a("signature_id", Int, "Rule SID.", func(a *event.Alert) any { return a.SignatureID })
	a("rev", Int, "Rule revision.", func(a *event.Alert) any { return a.Rev })
	a("signature", String, "Rule message.", func(a *event.Alert) any { return str(a.Signature) })
	a("category", String, "Rule classtype description.", func(a *event.Alert) any { return str(a.Category) })
	a("severity", Int, "Severity: 1 high ... 3/4 low.", func(a *event.Alert) any { return a.Severity })
	a("xff", String, "X-Forwarded-For derived address (xff extra-data mode).", func(a *event.Alert) any { return str(a.XFF) })
	a("metadata", Strings, "Rule metadata as key:value strings (e.g. mitre_technique_id:T1090).", func(a *event.Alert) any {
		if len(a.Metadata) == 0 {
			return nil
		}
		var out []string
		for k, vs := range a.Metadata {
			for _, v := range vs {
				out = append(out, k+":"+v)
			}
		}
		slices.Sort(out)
		return out
	})
	a("source.ip", IP, "Attacker (offender) address when the rule sets target.", func(a *event.Alert) any {
		if a.Source == nil {
			return nil
		}
		return ip(ParseIP(a.Source.IP))
	})
	a("target.ip", IP, "Victim address when the rule sets target.", func(a *event.Alert) any {
		if a.Target == nil {
			return nil
		}
		return ip(ParseIP(a.Target.IP))
	})
}

func flowFields() {
	f := func(name string, t Type, desc string, get func(*event.Flow) any) {
		add("flow."+name, t, desc, func(e *event.Event) any {
			if e.Flow == nil {
				return nil
			}
			return get(e.Flow)
		})
	}
	f("pkts_toserver", Int, "Packets client→server.", func(f *event.Flow) any { return f.PktsToServer })
	f("pkts_toclient", Int, "Packets server→client.", func(f *event.Flow) any { return f.PktsToClient })
	f("bytes_toserver", Int, "Bytes client→server.", func(f *event.Flow) any { return f.BytesToServer })
	f("bytes_toclient", Int, "Bytes server→client.", func(f *event.Flow) any { return f.BytesToClient })
	f("start", Time, "Flow start.", func(f *event.Flow) any { return parsedTime(f.Start) })
	f("end", Time, "Flow end.", func(f *event.Flow) any { return parsedTime(f.End) })
	f("age", Int, "Flow duration in seconds.", func(f *event.Flow) any {
		// Alert records carry a flow object without age or end.
		if f.Age == 0 && f.End == "" {
			return nil
		}
		return f.Age
	})
	f("state", String, "Flow state: new, established, closed, bypassed.", func(f *event.Flow) any { return str(f.State) })
	f("reason", String, "Why the flow was logged: timeout, forced, shutdown.", func(f *event.Flow) any { return str(f.Reason) })
	f("alerted", Bool, "Whether an alert fired on the flow.", func(f *event.Flow) any {
		if f.Alerted == nil {
			return nil
		}
		return *f.Alerted
	})
	f("action", String, "Flow action (drop in IPS mode).", func(f *event.Flow) any { return str(f.Action) })
}

func icmp(proto string) bool { return proto == "ICMP" || proto == "IPv6-ICMP" || proto == "ICMPv6" }

func header(hs []event.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func headerList(hs []event.Header) any {
	if len(hs) == 0 {
		return nil
	}
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name + ": " + h.Value
	}
	return out
}

func httpFields() {
	h := func(name string, t Type, desc string, get func(*event.Event, *event.HTTP) any) {
		add("http."+name, t, desc, func(e *event.Event) any {
			if e.HTTP == nil {
				return nil
			}
			return get(e, e.HTTP)
		})
	}
	h("hostname", String, "Host from an absolute URI, else the Host header.", func(_ *event.Event, h *event.HTTP) any { return str(h.Hostname) })
	h("url", String, "Request target as sent: path, host:port for CONNECT, http://... for forward-proxy requests.", func(_ *event.Event, h *event.HTTP) any { return str(h.URL) })
	h("http_user_agent", String, "User-Agent.", func(_ *event.Event, h *event.HTTP) any { return str(h.UserAgent) })
	h("http_content_type", String, "Response Content-Type (before ';').", func(_ *event.Event, h *event.HTTP) any { return str(h.ContentType) })
	h("http_refer", String, "Referer.", func(_ *event.Event, h *event.HTTP) any { return str(h.Refer) })
	h("http_method", String, "Request method (GET, POST, CONNECT, ...).", func(_ *event.Event, h *event.HTTP) any { return str(h.Method) })
	h("protocol", String, "HTTP version string, e.g. HTTP/1.1.", func(_ *event.Event, h *event.HTTP) any { return str(h.Protocol) })
	h("status", Int, "Response status code (absent when not numeric; see http.status_string).", func(_ *event.Event, h *event.HTTP) any { return i64p(h.Status) })
	h("status_string", String, "Non-numeric status (Suricata 8).", func(_ *event.Event, h *event.HTTP) any { return str(h.StatusString) })
	h("redirect", String, "Location of a redirect.", func(_ *event.Event, h *event.HTTP) any { return str(h.Redirect) })
	h("length", Int, "Response body length.", func(_ *event.Event, h *event.HTTP) any { return h.Length })
	h("http_port", Int, "Port named in Host or URL (not the TCP port).", func(_ *event.Event, h *event.HTTP) any { return i64p(h.Port) })
	h("xff", String, "X-Forwarded-For: the root xff (extra-data mode), the http.xff key, or the request header.", func(e *event.Event, h *event.HTTP) any {
		switch {
		case e.XFF != "":
			return e.XFF
		case h.XFF != "":
			return h.XFF
		}
		return str(header(h.RequestHeaders, "X-Forwarded-For"))
	})
	h("server", String, "Server response header (derived from response_headers, Suricata 7+).", func(_ *event.Event, h *event.HTTP) any { return str(header(h.ResponseHeaders, "Server")) })
	h("via", String, "Via header from either direction: proxies add it.", func(_ *event.Event, h *event.HTTP) any {
		if v := header(h.RequestHeaders, "Via"); v != "" {
			return v
		}
		return str(header(h.ResponseHeaders, "Via"))
	})
	h("proxy_authorization", String, "Proxy-Authorization request header (credentials to a proxy).", func(_ *event.Event, h *event.HTTP) any { return str(header(h.RequestHeaders, "Proxy-Authorization")) })
	h("proxy_authenticate", String, "Proxy-Authenticate response header (a proxy asking for credentials, with 407).", func(_ *event.Event, h *event.HTTP) any {
		return str(header(h.ResponseHeaders, "Proxy-Authenticate"))
	})
	h("proxy_connection", String, "Proxy-Connection request header (clients that think they talk to a proxy).", func(_ *event.Event, h *event.HTTP) any { return str(header(h.RequestHeaders, "Proxy-Connection")) })
	h("request_headers", Strings, "Logged request headers as 'Name: value'.", func(_ *event.Event, h *event.HTTP) any { return headerList(h.RequestHeaders) })
	h("response_headers", Strings, "Logged response headers as 'Name: value'.", func(_ *event.Event, h *event.HTTP) any { return headerList(h.ResponseHeaders) })
}

func tlsFields() {
	t := func(name string, ty Type, desc string, get func(*event.TLS) any) {
		add("tls."+name, ty, desc, func(e *event.Event) any {
			if e.TLS == nil {
				return nil
			}
			return get(e.TLS)
		})
	}
	t("version", String, "Negotiated version, e.g. TLS 1.3.", func(t *event.TLS) any { return str(t.Version) })
	t("sni", String, "Server Name Indication from the ClientHello.", func(t *event.TLS) any { return str(t.SNI) })
	t("subject", String, "Server certificate subject DN.", func(t *event.TLS) any { return str(t.Subject) })
	t("issuerdn", String, "Server certificate issuer DN.", func(t *event.TLS) any { return str(t.IssuerDN) })
	t("serial", String, "Certificate serial (upper-case colon hex).", func(t *event.TLS) any { return str(t.Serial) })
	t("fingerprint", String, "Certificate SHA-1 fingerprint (lower-case colon hex).", func(t *event.TLS) any { return str(t.Fingerprint) })
	t("notbefore", Time, "Certificate validity start.", func(t *event.TLS) any { return parsedTime(t.NotBefore) })
	t("notafter", Time, "Certificate validity end.", func(t *event.TLS) any { return parsedTime(t.NotAfter) })
	t("session_resumed", Bool, "Session resumption (no certificate seen).", func(t *event.TLS) any { return t.SessionResumed })
	t("ja3.hash", String, "JA3 client fingerprint hash.", func(t *event.TLS) any { return hashOf(t.JA3, false) })
	t("ja3.string", String, "JA3 client fingerprint string.", func(t *event.TLS) any { return hashOf(t.JA3, true) })
	t("ja3s.hash", String, "JA3S server fingerprint hash.", func(t *event.TLS) any { return hashOf(t.JA3S, false) })
	t("ja3s.string", String, "JA3S server fingerprint string.", func(t *event.TLS) any { return hashOf(t.JA3S, true) })
	t("ja4", String, "JA4 client fingerprint.", func(t *event.TLS) any { return str(t.JA4) })
	t("subjectaltname", Strings, "Certificate subject alternative names (Suricata 8).", func(t *event.TLS) any { return strs(t.SubjectAltName) })
	t("client_alpns", Strings, "ALPNs offered by the client (Suricata 8).", func(t *event.TLS) any { return strs(t.ClientALPNs) })
	t("server_alpns", Strings, "ALPN chosen by the server (Suricata 8).", func(t *event.TLS) any { return strs(t.ServerALPNs) })
}

func hashOf(h *event.Hash, s bool) any {
	if h == nil {
		return nil
	}
	if s {
		return str(h.String)
	}
	return str(h.Hash)
}

func dnsFields() {
	d := func(name string, t Type, desc string, get func(*event.DNS) any) {
		add("dns."+name, t, desc, func(e *event.Event) any {
			if e.DNS == nil {
				return nil
			}
			return get(e.DNS)
		})
	}
	d("version", Int, "EVE DNS format: 2 (Suricata 7), 3 (Suricata 8); absent for v1 and v2 requests.", func(d *event.DNS) any {
		if d.Version == 0 {
			return nil
		}
		return d.Version
	})
	d("type", String, "Record kind as logged: query/answer (v1, v2) or request/response (v3).", func(d *event.DNS) any { return str(d.Type) })
	d("id", Int, "DNS transaction id.", func(d *event.DNS) any { return d.ID })
	d("rcode", String, "Response code, e.g. NOERROR, NXDOMAIN.", func(d *event.DNS) any { return str(d.RCode) })
	d("rrname", Strings, "Queried names, whatever the format (v1/v2 flat rrname, v3 queries[].rrname).", func(d *event.DNS) any { return strs(d.Names) })
	d("rrtype", Strings, "Queried record types.", func(d *event.DNS) any { return strs(d.QTypes) })
	d("answers.rdata", Strings, "Answer data (addresses, names) from answers[], grouped{} and v1 records.", func(d *event.DNS) any { return strs(d.AnswerData) })
	d("answers.rrtype", Strings, "Answer record types.", func(d *event.DNS) any { return strs(d.AnswerType) })
}

func fileFields() {
	f := func(name string, t Type, desc string, get func(*event.File) any) {
		add("fileinfo."+name, t, desc, func(e *event.Event) any {
			if e.FileInfo == nil {
				return nil
			}
			return get(e.FileInfo)
		})
	}
	f("filename", String, "File name or URI path.", func(f *event.File) any { return str(f.Filename) })
	f("magic", String, "libmagic description.", func(f *event.File) any { return str(f.Magic) })
	f("md5", String, "MD5 of the file.", func(f *event.File) any { return str(f.MD5) })
	f("sha1", String, "SHA-1 of the file.", func(f *event.File) any { return str(f.SHA1) })
	f("sha256", String, "SHA-256 of the file.", func(f *event.File) any { return str(f.SHA256) })
	f("size", Int, "Bytes seen.", func(f *event.File) any { return f.Size })
	f("state", String, "CLOSED, TRUNCATED, ...", func(f *event.File) any { return str(f.State) })
	f("stored", Bool, "Whether the file was extracted.", func(f *event.File) any { return f.Stored })
	f("gaps", Bool, "Whether the transfer had gaps.", func(f *event.File) any { return f.Gaps })
}

func smbFields() {
	s := func(name string, t Type, desc string, get func(*event.SMB) any) {
		add("smb."+name, t, desc, func(e *event.Event) any {
			if e.SMB == nil {
				return nil
			}
			return get(e.SMB)
		})
	}
	s("command", String, "SMB command.", func(s *event.SMB) any { return str(s.Command) })
	s("dialect", String, "Negotiated dialect.", func(s *event.SMB) any { return str(s.Dialect) })
	s("status", String, "NT status.", func(s *event.SMB) any { return str(s.Status) })
	s("filename", String, "File or pipe name.", func(s *event.SMB) any { return str(s.Filename) })
	s("share", String, "Tree/share name.", func(s *event.SMB) any { return str(s.Share) })
	s("named_pipe", String, "Named pipe.", func(s *event.SMB) any { return str(s.NamedPipe) })
	s("ntlmssp.user", String, "NTLMSSP user name.", func(s *event.SMB) any {
		if s.NTLMSSP == nil {
			return nil
		}
		return str(s.NTLMSSP.User)
	})
	s("ntlmssp.domain", String, "NTLMSSP domain.", func(s *event.SMB) any {
		if s.NTLMSSP == nil {
			return nil
		}
		return str(s.NTLMSSP.Domain)
	})
	s("ntlmssp.host", String, "NTLMSSP workstation name.", func(s *event.SMB) any {
		if s.NTLMSSP == nil {
			return nil
		}
		return str(s.NTLMSSP.Host)
	})
	s("kerberos.realm", String, "Kerberos realm in SMB session setup.", func(s *event.SMB) any {
		if s.Kerberos == nil {
			return nil
		}
		return str(s.Kerberos.Realm)
	})
}

func krb5Fields() {
	k := func(name string, t Type, desc string, get func(*event.Krb5) any) {
		add("krb5."+name, t, desc, func(e *event.Event) any {
			if e.Krb5 == nil {
				return nil
			}
			return get(e.Krb5)
		})
	}
	k("msg_type", String, "KRB_AS_REQ, KRB_TGS_REP, KRB_ERROR, ...", func(k *event.Krb5) any { return str(k.MsgType) })
	k("cname", String, "Client principal (user or machine$).", func(k *event.Krb5) any { return str(k.CName) })
	k("realm", String, "Realm.", func(k *event.Krb5) any { return str(k.Realm) })
	k("sname", String, "Service principal.", func(k *event.Krb5) any { return str(k.SName) })
	k("encryption", String, "Encryption type.", func(k *event.Krb5) any { return str(k.Encryption) })
	k("weak_encryption", Bool, "Weak encryption in use.", func(k *event.Krb5) any { return k.WeakEncryption })
	k("ticket_encryption", String, "Ticket encryption type (rc4-hmac for Kerberoasting).", func(k *event.Krb5) any { return str(k.TicketEncryption) })
	k("error_code", String, "Kerberos error code.", func(k *event.Krb5) any { return str(k.ErrorCode) })
	k("failed_request", String, "Request type that failed.", func(k *event.Krb5) any { return str(k.FailedRequest) })
}

func dhcpFields() {
	d := func(name string, t Type, desc string, get func(*event.DHCP) any) {
		add("dhcp."+name, t, desc, func(e *event.Event) any {
			if e.DHCP == nil {
				return nil
			}
			return get(e.DHCP)
		})
	}
	d("type", String, "request or reply.", func(d *event.DHCP) any { return str(d.Type) })
	d("dhcp_type", String, "discover, offer, request, ack, nak, release, inform.", func(d *event.DHCP) any { return str(d.DHCPType) })
	d("client_mac", String, "Client MAC address.", func(d *event.DHCP) any { return str(d.ClientMAC) })
	d("client_ip", IP, "Client address.", func(d *event.DHCP) any { return ip(ParseIP(d.ClientIP)) })
	d("assigned_ip", IP, "Address assigned by the server.", func(d *event.DHCP) any { return ip(ParseIP(d.AssignedIP)) })
	d("requested_ip", IP, "Address requested by the client.", func(d *event.DHCP) any { return ip(ParseIP(d.RequestedIP)) })
	d("hostname", String, "Client host name (option 12).", func(d *event.DHCP) any { return str(d.Hostname) })
	d("vendor_class_identifier", String, "Vendor class (option 60).", func(d *event.DHCP) any { return str(d.VendorClassID) })
}

func sshFields() {
	peer := func(side string, get func(*event.SSH) *event.SSHPeer) {
		p := func(name string, desc string, f func(*event.SSHPeer) any) {
			add("ssh."+side+"."+name, String, desc, func(e *event.Event) any {
				if e.SSH == nil {
					return nil
				}
				pp := get(e.SSH)
				if pp == nil {
					return nil
				}
				return f(pp)
			})
		}
		p("software_version", "SSH "+side+" software banner.", func(p *event.SSHPeer) any { return str(p.SoftwareVersion) })
		p("proto_version", "SSH "+side+" protocol version.", func(p *event.SSHPeer) any { return str(p.ProtoVersion) })
		p("hassh.hash", "HASSH "+side+" fingerprint.", func(p *event.SSHPeer) any { return hashOf(p.HASSH, false) })
	}
	peer("client", func(s *event.SSH) *event.SSHPeer { return s.Client })
	peer("server", func(s *event.SSH) *event.SSHPeer { return s.Server })
}

func quicFields() {
	q := func(name string, desc string, get func(*event.QUIC) any) {
		add("quic."+name, String, desc, func(e *event.Event) any {
			if e.QUIC == nil {
				return nil
			}
			return get(e.QUIC)
		})
	}
	q("version", "QUIC version.", func(q *event.QUIC) any { return str(q.Version) })
	q("sni", "QUIC SNI.", func(q *event.QUIC) any { return str(q.SNI) })
	q("ua", "Google QUIC user agent.", func(q *event.QUIC) any { return str(q.UA) })
	q("ja3.hash", "QUIC JA3.", func(q *event.QUIC) any { return hashOf(q.JA3, false) })
	q("ja4", "QUIC JA4.", func(q *event.QUIC) any { return str(q.JA4) })
}

func smtpFields() {
	add("smtp.helo", String, "HELO/EHLO name.", func(e *event.Event) any {
		if e.SMTP == nil {
			return nil
		}
		return str(e.SMTP.Helo)
	})
	add("smtp.mail_from", String, "MAIL FROM.", func(e *event.Event) any {
		if e.SMTP == nil {
			return nil
		}
		return str(e.SMTP.MailFrom)
	})
	add("smtp.rcpt_to", Strings, "RCPT TO addresses.", func(e *event.Event) any {
		if e.SMTP == nil {
			return nil
		}
		return strs(e.SMTP.RcptTo)
	})
}

func ftpFields() {
	add("ftp.command", String, "FTP command.", func(e *event.Event) any {
		if e.FTP == nil {
			return nil
		}
		return str(e.FTP.Command)
	})
	add("ftp.command_data", String, "FTP command argument.", func(e *event.Event) any {
		if e.FTP == nil {
			return nil
		}
		return str(e.FTP.CommandData)
	})
	add("ftp.completion_code", Strings, "Reply codes.", func(e *event.Event) any {
		if e.FTP == nil {
			return nil
		}
		return strs(e.FTP.CompletionCode)
	})
}

func anomalyFields() {
	a := func(name string, desc string, get func(*event.Anomaly) any) {
		add("anomaly."+name, String, desc, func(e *event.Event) any {
			if e.Anomaly == nil {
				return nil
			}
			return get(e.Anomaly)
		})
	}
	a("type", "decode, stream or applayer.", func(a *event.Anomaly) any { return str(a.Type) })
	a("event", "Anomaly name.", func(a *event.Anomaly) any { return str(a.Event) })
	a("layer", "Layer that raised it.", func(a *event.Anomaly) any { return str(a.Layer) })
	a("app_proto", "Protocol of an applayer anomaly.", func(a *event.Anomaly) any { return str(a.AppProto) })
}

func parsedTime(s string) any {
	if s == "" {
		return nil
	}
	t, err := event.ParseTime(s)
	if err != nil {
		return nil
	}
	return t
}
