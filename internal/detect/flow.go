package detect

import (
	"strings"
	"unicode"

	"github.com/nethunt/nethunt/internal/event"
)

// onFlow: CONNECT tunnels, proxy-port and SOCKS sessions, Tor ports and
// relays, CDN sessions, and flow pairing for relays and chains.
func (s *Stage) onFlow(ev *event.Event) {
	f := ev.Flow
	cli, srv, port := ev.SrcIP, ev.DestIP, ev.DestPort
	if !cli.IsValid() || !srv.IsValid() {
		return
	}
	if ev.AppProto == "tls" && ev.AppProtoOrig == "http" && s.enabled(DetProxy) {
		s.proxyTunnel(ev, cli, srv, port)
	}
	cliIn, srvIn := s.internal(cli), s.internal(srv)
	answered := f.PktsToClient > 0
	if cliIn && !srvIn && answered {
		l := s.lst()
		if s.enabled(DetTor) {
			if ev.Enrich.Tor == "dest-relay" || l.IsTor(srv) {
				s.torEvidence(ev, cli, srv, port, torRelay, "listed Tor relay "+srvKey(srv, port))
			} else if port > 0 && port < 65536 && (ev.AppProto == "tls" || ev.AppProto == "" || ev.AppProto == "failed") {
				if label, ok := l.ProxyPort(uint16(port)); ok && (label == "tor-orport" || label == "tor-dirport") {
					s.torEvidence(ev, cli, srv, port, torPort, "session to "+srvKey(srv, port)+" ("+label+")")
				}
			}
		}
		if s.enabled(DetPortUse) {
			s.portUse(ev, cli, srv, port)
		}
		if s.enabled(DetCDN) && ev.AppProto == "tls" && ev.FlowID != 0 {
			if fi := s.st.Flows.peek(ev.FlowID); fi != nil && fi.CDN != "" && !fi.Tunnel && !fi.TorLike {
				s.cdnFlow(ev, cli, srv, fi)
			}
		}
	}
	if srvIn && answered && port > 0 && port < 65536 && ((ev.AppProto == "" || ev.AppProto == "failed") && s.isSOCKSPort(port) || strings.HasPrefix(ev.AppProto, "socks")) {
		// unrecognised TCP answered on a SOCKS port: a relay candidate,
		// and an internal SOCKS server when internal hosts use it
		s.relayCandidate(srv, port, false)
		if cliIn && cli != srv && s.enabled(DetPortUse) {
			s.portUse(ev, cli, srv, port)
		}
	}
	s.relayFlow(ev, cli, srv, port)
}

// onAlert: SOCKS and Tor signatures.
func (s *Stage) onAlert(ev *event.Event) {
	sig := ev.Alert.Signature
	if sig == "" {
		return
	}
	cli, srv, _, sport := clientServer(ev)
	if !cli.IsValid() || !srv.IsValid() {
		return
	}
	cliIn, srvIn := s.internal(cli), s.internal(srv)
	if containsFold(sig, "socks") && s.enabled(DetPortUse) && (cliIn || srvIn) {
		s.portAlert(ev, cli, srv, sport, sig)
	}
	if torSignature(sig) && s.enabled(DetTor) {
		switch {
		case cliIn && !srvIn:
			s.torEvidence(ev, cli, srv, sport, torAlert, "alert \""+clipStr(sig, 100)+"\" to "+srvKey(srv, sport))
		case srvIn && !cliIn && ev.Enrich.Tor != "src-relay":
			// an inbound connection from Tor to a published service is
			// not this host using Tor: ignore
		}
	}
}

// torSignature: the signature is about Tor ("ET TOR Known Tor Relay...",
// "ET POLICY Possible TOR traffic"), not a word that contains "tor".
func torSignature(sig string) bool {
	if !strings.Contains(sig, "TOR") && !strings.Contains(sig, "Tor") && !containsFold(sig, "onion") {
		return false
	}
	words := strings.FieldsFunc(sig, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for i, w := range words {
		if w == "TOR" {
			return true
		}
		if w == "Tor" && i+1 < len(words) {
			switch strings.ToLower(words[i+1]) {
			case "relay", "exit", "node", "traffic", "onion", "hidden", "router":
				return true
			}
		}
		if strings.EqualFold(w, "onion") && i > 0 && strings.EqualFold(words[i-1], "tor") {
			return true
		}
	}
	return false
}
