package domain

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/event"
)

func TestRegistered(t *testing.T) {
	for _, c := range []struct{ in, all, icann string }{
		{"www.example.com", "example.com", "example.com"},
		{"WWW.Example.COM.", "example.com", "example.com"},
		{"a.b.example.co.uk", "example.co.uk", "example.co.uk"},
		{"example.com", "example.com", "example.com"},
		{"evil-c2.duckdns.org", "evil-c2.duckdns.org", "duckdns.org"},
		{"x.evil-c2.duckdns.org", "evil-c2.duckdns.org", "duckdns.org"},
		{"example.blogspot.com", "example.blogspot.com", "blogspot.com"},
		{"foo.bar.s3.eu-west-1.amazonaws.com", "bar.s3.eu-west-1.amazonaws.com", "amazonaws.com"},
		{"abc.ngrok-free.app", "abc.ngrok-free.app", "ngrok-free.app"},
		{"printer.lan", "printer.lan", "printer.lan"},
		{"wpad.corp.local", "corp.local", "corp.local"},
		{"_ldap._tcp.dc._msdcs.corp.example.com", "example.com", "example.com"},
		{"com", "", ""},
		{"co.uk", "", ""},
		{"duckdns.org", "", "duckdns.org"},
		{"localhost", "", ""},
		{"", "", ""},
		{".", "", ""},
		{"1.2.3.4", "", ""},
		{"2001:db8::1", "", ""},
		{"1.2.3", "", ""},
		{"a..example.com", "", ""},
		{".example.com", "", ""},
		{"exa mple.com", "", ""},
		{"http://example.com/", "", ""},
		{"münchen.de", "münchen.de", "münchen.de"},
	} {
		if got := Registered(c.in); got != c.all {
			t.Errorf("Registered(%q) = %q want %q", c.in, got, c.all)
		}
		if got := RegisteredICANN(c.in); got != c.icann {
			t.Errorf("RegisteredICANN(%q) = %q want %q", c.in, got, c.icann)
		}
		// Cached answers agree with uncached ones.
		if got := Registered(c.in); got != c.all {
			t.Errorf("cached Registered(%q) = %q", c.in, got)
		}
	}
	long := ""
	for i := 0; i < 64; i++ {
		long += "a"
	}
	if Registered(long+".com") != "" {
		t.Error("64-byte label accepted")
	}
}

func TestRegisteredCacheBounded(t *testing.T) {
	for i := 0; i < 3*CacheSize; i++ {
		Registered(fmt.Sprintf("h%d.example.com", i))
	}
	total := 0
	for i := range regCache.shards {
		s := &regCache.shards[i]
		total += len(s.cur) + len(s.old)
	}
	if total > CacheSize {
		t.Errorf("cache holds %d > %d names", total, CacheSize)
	}
	if got := Registered("h1.example.com"); got != "example.com" {
		t.Error(got)
	}
}

func TestRegisteredNoAllocOnHit(t *testing.T) {
	Registered("Www.Example.Com")
	if n := testing.AllocsPerRun(100, func() { Registered("Www.Example.Com") }); n != 0 {
		t.Errorf("allocs = %v", n)
	}
}

var evTime = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func TestCertTraits(t *testing.T) {
	for _, c := range []struct {
		name string
		tls  event.TLS
		want []string
	}{
		{"letsencrypt", event.TLS{SNI: "www.example.org", Subject: "CN=www.example.org", IssuerDN: "C=US, O=Let's Encrypt, CN=R11",
			NotBefore: "2024-05-01T00:00:00", NotAfter: "2024-07-30T00:00:00", SubjectAltName: []string{"example.org", "*.example.org", "www.example.org"}},
			[]string{"free-ca:letsencrypt"}},
		{"letsencrypt-trait", event.TLS{SNI: "a.b.example.org", Subject: "CN=www.example.org", IssuerDN: "C=US, O=Let's Encrypt, CN=E6",
			NotBefore: "2024-05-01T00:00:00", NotAfter: "2024-07-30T00:00:00", SubjectAltName: []string{"example.org", "*.example.org"}},
			[]string{"free-ca:letsencrypt", "sni-mismatch"}},
		{"tor corpus", event.TLS{SNI: "www.k533f.com", Subject: "CN=www.rcfcvvesd.net", IssuerDN: "CN=www.wlfkimfg.com",
			NotBefore: "2017-10-17T00:00:00", NotAfter: "2018-05-06T00:00:00"},
			[]string{"expired", "tor-like"}},
		{"tor corpus 2", event.TLS{SNI: "www.lskzr4.com", Subject: "CN=www.2v46rgkblr35xvcqvtl.net", IssuerDN: "CN=www.7wvvz5bhwexzzobr.com",
			NotBefore: "2024-01-11T00:00:00", NotAfter: "2025-01-11T00:00:00"},
			[]string{"tor-like"}},
		{"tor brief", event.TLS{SNI: "www.abcdefg.com", Subject: "CN=www.6vdnm2tbi4i.com", IssuerDN: "CN=www.lkvzrk3ea2y.net",
			NotBefore: "2024-01-01T00:00:00", NotAfter: "2024-12-01T00:00:00"},
			[]string{"tor-like"}},
		{"self-signed long", event.TLS{SNI: "10.0.0.5", Subject: "C=US, O=Acme, CN=10.0.0.5", IssuerDN: "C=US, O=Acme, CN=10.0.0.5",
			NotBefore: "2020-01-01T00:00:00", NotAfter: "2030-01-01T00:00:00"},
			[]string{"self-signed", "long-validity", "ip-san"}},
		{"short, not yet valid, no sni", event.TLS{Subject: "CN=x.example", IssuerDN: "CN=Some CA, O=Some",
			NotBefore: "2024-06-10T00:00:00", NotAfter: "2024-06-16T00:00:00", SubjectAltName: []string{"IP Address:192.0.2.1"}},
			[]string{"short-validity", "not-yet-valid", "ip-san", "no-sni"}},
		{"resumed", event.TLS{SNI: "example.com", SessionResumed: true}, nil},
		{"resumed no sni", event.TLS{SessionResumed: true}, []string{"no-sni"}},
		{"test cert not tor", event.TLS{SNI: "www.example.com", Subject: "CN=www.mywebsite.com", IssuerDN: "CN=www.mytestca.net"}, nil},
	} {
		got := CertTraits(&c.tls, evTime)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: CertTraits = %q want %q", c.name, got, c.want)
		}
	}
	if CertTraits(nil, evTime) != nil {
		t.Error("nil TLS")
	}
	// A zero event time skips expiry checks.
	if got := CertTraits(&event.TLS{SNI: "a", Subject: "CN=a", IssuerDN: "CN=b", NotAfter: "2000-01-01T00:00:00"}, time.Time{}); got != nil {
		t.Errorf("zero time: %q", got)
	}
}

func TestTorLike(t *testing.T) {
	for _, c := range []struct {
		s, i string
		want bool
	}{
		{"CN=www.rcfcvvesd.net", "CN=www.wlfkimfg.com", true},
		{"CN=www.6vdnm2tbi4i.com", "CN=www.lkvzrk3ea2y.net", true},
		{"CN=www.rcfcvvesd.net", "CN=www.wlfkimfg.net", false},  // same TLD
		{"CN=www.rcfcvvesd.net", "CN=www.rcfcvvesd.com", false}, // same label
		{"CN=www.rcfcvvesd.net, O=Tor", "CN=www.wlfkimfg.com", false},
		{"C=US, CN=www.rcfcvvesd.net", "CN=www.wlfkimfg.com", false},
		{"CN=www.microsoft.com", "CN=www.googleapis.net", false},
		{"CN=www.rcfcvvesd.org", "CN=www.wlfkimfg.com", false},
		{"CN=www.rcfcv.net", "CN=www.wlfkimfg.com", false},      // label too short
		{"CN=www.rcfcvves1d.net", "CN=www.wlfkimfg.com", false}, // '1' is not base32
		{"CN=www.RCFCVVESD.net", "CN=www.wlfkimfg.com", false},  // Tor is lower-case
		{"CN=www.rcfcvvesd.net", "", false},
	} {
		if got := TorLike(c.s, c.i); got != c.want {
			t.Errorf("TorLike(%q, %q) = %v", c.s, c.i, got)
		}
	}
}

func TestParseCertTime(t *testing.T) {
	for s, want := range map[string]string{
		"2024-01-02T03:04:05":      "2024-01-02T03:04:05Z",
		"2024-01-02 03:04:05":      "2024-01-02T03:04:05Z",
		"2024-01-02T03:04:05+0100": "2024-01-02T02:04:05Z",
		"2024-13-02T03:04:05":      "",
		"2024-01-02T03:04:0x":      "",
		"":                         "",
		"garbage":                  "",
	} {
		got, ok := ParseCertTime(s)
		if ok != (want != "") || ok && got.Format(time.RFC3339) != want {
			t.Errorf("ParseCertTime(%q) = %v %v want %q", s, got, ok, want)
		}
	}
}

func BenchmarkRegisteredHit(b *testing.B) {
	names := []string{"www.example.com", "a.b.c.googleapis.com", "evil-c2.duckdns.org", "login.microsoftonline.com"}
	for _, n := range names {
		Registered(n)
	}
	for i := 0; b.Loop(); i++ {
		Registered(names[i%len(names)])
	}
}

func BenchmarkRegisteredMiss(b *testing.B) {
	names := []string{"www.example.com", "a.b.c.googleapis.com", "evil-c2.duckdns.org", "login.microsoftonline.com"}
	for i := 0; b.Loop(); i++ {
		registered(names[i%len(names)], false)
	}
}

func BenchmarkCertTraits(b *testing.B) {
	tls := &event.TLS{SNI: "www.example.org", Subject: "CN=www.example.org", IssuerDN: "C=US, O=Let's Encrypt, CN=R11",
		NotBefore: "2024-05-01T00:00:00", NotAfter: "2024-07-30T00:00:00"}
	for b.Loop() {
		CertTraits(tls, evTime)
	}
}
