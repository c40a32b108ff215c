package detect

import (
	"net/netip"
	"strings"

	"github.com/zeebo/xxh3"

	"github.com/nethunt/nethunt/internal/domain"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/reflist"
)

// flowInfo is what the app-layer records of a flow told, for the records
// that come later on the same flow (the flow record with its byte counts,
// a TLS handshake after a CONNECT, an HTTP request after a handshake).
type flowInfo struct {
	SNI        string
	SANs       []string // certificate names (Suricata 8), when few
	JA         string
	Connect    string // CONNECT target seen on the flow
	CDN        string // provider when the server is CDN infrastructure
	NoSNI      bool
	Unresolved bool // the client never resolved the SNI
	Tunnel     bool // the SNI is a tunnelling service
	TorLike    bool
}

// freeCert is a free-CA certificate an external address served.
type freeCert struct {
	CA, Subject string
	NotBefore   int64
}

// jaBase is a host's baseline of TLS client fingerprints (JA4, else JA3):
// the most used ones (hashed) with counts (space-saving top-k).
type jaBase struct {
	JA    [6]uint64
	N     [6]uint32
	Total uint32
}

func jaHash(ja string) uint64 { return xxh3.HashString(ja) | 1 }

func (b *jaBase) add(ja string) {
	h := jaHash(ja)
	b.Total++
	mi := 0
	for i := range b.JA {
		if b.JA[i] == h {
			b.N[i]++
			return
		}
		if b.N[i] < b.N[mi] {
			mi = i
		}
	}
	b.JA[mi] = h
	b.N[mi]++
}

// usual returns the host's most used fingerprint (hashed) once it has a
// baseline.
func (b *jaBase) usual() (uint64, bool) {
	if b == nil || b.Total < 20 {
		return 0, false
	}
	bi := 0
	for i := range b.JA {
		if b.N[i] > b.N[bi] {
			bi = i
		}
	}
	return b.JA[bi], b.JA[bi] != 0
}

// count is the number of the host's handshakes that used ja.
func (b *jaBase) count(ja string) uint32 {
	if b == nil {
		return 0
	}
	h := jaHash(ja)
	for i := range b.JA {
		if b.JA[i] == h {
			return b.N[i]
		}
	}
	return 0
}

// share is the fraction of the host's handshakes that used ja.
func (b *jaBase) share(ja string) float64 {
	if b == nil || b.Total == 0 {
		return 0
	}
	return float64(b.count(ja)) / float64(b.Total)
}

func clientFingerprint(t *event.TLS) string {
	if t.JA4 != "" {
		return t.JA4
	}
	if t.JA3 != nil && t.JA3.Hash != "" {
		return "ja3:" + t.JA3.Hash
	}
	return ""
}

func (s *Stage) onTLS(ev *event.Event) {
	t := ev.TLS
	cli, srv, port := ev.SrcIP, ev.DestIP, ev.DestPort
	if !s.internal(cli) || !srv.IsValid() {
		return
	}
	st := s.st
	sni := lowerASCII(strings.TrimSuffix(t.SNI, "."))
	ja := clientFingerprint(t)
	if ja != "" {
		b, _ := st.JA.put(akey('j', cli), func() *jaBase { return &jaBase{} })
		b.add(ja)
	}
	var fi *flowInfo
	srvIn := s.internal(srv)
	if ev.FlowID != 0 {
		// flows to internal servers only matter after a CONNECT (a
		// tunnel through an internal proxy)
		if srvIn {
			fi = st.Flows.peek(ev.FlowID)
		} else {
			fi, _ = st.Flows.put(ev.FlowID, func() *flowInfo { return &flowInfo{} })
		}
	}
	if fi != nil {
		if sni != "" {
			fi.SNI = sni
		}
		if ja != "" {
			fi.JA = ja
		}
		if n := len(t.SubjectAltName); n > 0 && n <= 32 {
			fi.SANs = t.SubjectAltName
		}
		if fi.Connect != "" && sni != "" && s.enabled(DetFronting) {
			s.frontConnectSNI(ev, cli, srv, fi.Connect, sni)
		}
	}
	if srvIn {
		return
	}
	// TLS tunnelled through a CONNECT: the server address is the proxy's,
	// the certificate and SNI are the origin's
	tunnelled := fi != nil && fi.Connect != ""
	l := s.lst()
	if t.IssuerDN != "" && !tunnelled {
		if ca := s.freeCA(l, t.IssuerDN); ca != "" {
			fc, _ := st.FreeCert.put(akey('f', srv), func() *freeCert { return &freeCert{} })
			fc.CA = ca
			if cn, ok := reflist.DNAttr(t.Subject, "CN"); ok {
				fc.Subject = "CN=" + cn
			}
			if nb, ok := domain.ParseCertTime(t.NotBefore); ok {
				fc.NotBefore = nb.UnixNano()
			}
		}
	}
	if s.enabled(DetTor) {
		torLike := false
		if strings.HasPrefix(t.Subject, "CN=www.") && strings.HasPrefix(t.IssuerDN, "CN=www.") {
			torLike = domain.TorLike(t.Subject, t.IssuerDN)
		} else {
			for _, tr := range ev.Enrich.CertTraits {
				if tr == domain.TraitTorLike {
					torLike = true
				}
			}
		}
		if torLike {
			if fi != nil {
				fi.TorLike = true
			}
			s.torEvidence(ev, cli, srv, port, torCert, "Tor link certificate (subject "+t.Subject+", issuer "+t.IssuerDN+") from "+srvKey(srv, port))
		} else if sni != "" && torRandomSNI(sni) && !s.anyoneQueried(sni) {
			s.torEvidence(ev, cli, srv, port, torSNI, "random www.<x>.com-style SNI "+sni+" nobody resolved, to "+srvKey(srv, port))
		}
		if ev.Enrich.Tor == "dest-relay" || l.IsTor(srv) {
			s.torEvidence(ev, cli, srv, port, torRelay, "listed Tor relay "+srvKey(srv, port))
		}
	}
	if sni != "" {
		s.onName(ev, cli, srv, sni, "tls.sni")
		if fi != nil {
			_, fi.Tunnel = l.TunnelService(sni)
		}
	}
	if tunnelled {
		return
	}
	if prov := s.cdnOf(ev, srv, sni); prov != "" && fi != nil {
		if sni != "" {
			s.remember(aakey('s', cli, srv), sni, ev.Time.UnixNano())
		}
		fi.CDN = prov
		fi.NoSNI = sni == ""
		fi.Unresolved = sni != "" && !s.clientResolved(cli, sni)
		if s.enabled(DetFronting) && sni != "" {
			s.frontTLS(ev, cli, srv, sni, prov)
		}
	}
}

// freeCA labels a free / automated CA issuer, with a small cache (there
// are few distinct issuers).
func (s *Stage) freeCA(l *reflist.Lists, issuer string) string {
	if s.caCache == nil || s.caLists != l || len(s.caCache) > 4096 {
		s.caCache, s.caLists = map[string]string{}, l
	}
	if v, ok := s.caCache[issuer]; ok {
		return v
	}
	v, _ := l.FreeCA(issuer)
	s.caCache[issuer] = v
	return v
}

// torRandomSNI: the SNI shape Tor clients send, www.<random>.com/net.
func torRandomSNI(sni string) bool {
	if !strings.HasPrefix(sni, "www.") {
		return false
	}
	rest := sni[4:]
	dot := strings.IndexByte(rest, '.')
	if dot < 8 || dot > 20 {
		return false
	}
	if tld := rest[dot+1:]; tld != "com" && tld != "net" {
		return false
	}
	label := rest[:dot]
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return domain.LooksRandom(label)
}

func sameAddr(a, b netip.Addr) bool { return a.Unmap() == b.Unmap() }
