package reflist

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultCDN(t *testing.T) {
	l := Default()
	for _, c := range []struct {
		ip, want string
	}{
		{"104.16.1.1", "cloudflare"},
		{"2606:4700::1111", "cloudflare"},
		{"::ffff:104.16.1.1", "cloudflare"},
		{"151.101.1.69", "fastly"},
		{"13.32.5.6", "cloudfront"},
		{"2600:9000:1234::1", "cloudfront"},
		{"23.45.67.89", "akamai"},
		{"13.107.246.40", "azure-frontdoor"},
		{"142.250.74.78", "google"},
		{"8.8.8.8", ""},
		{"10.1.2.3", ""},
	} {
		got, ok := l.IsCDN(netip.MustParseAddr(c.ip))
		if got != c.want || ok != (c.want != "") {
			t.Errorf("IsCDN(%s) = %q,%v want %q", c.ip, got, ok, c.want)
		}
	}
	if _, ok := l.IsCDN(netip.Addr{}); ok {
		t.Error("invalid address matched")
	}
}

func TestHostLists(t *testing.T) {
	l := Default()
	type fn func(string) (string, bool)
	cases := []struct {
		name string
		f    fn
		host string
		want string
	}{
		{"cdn", l.CDNSuffix, "d111111abcdef8.cloudfront.net", "cloudfront"},
		{"cdn", l.CDNSuffix, "e1234.a.AKAMAIEDGE.net.", "akamai"},
		{"cdn", l.CDNSuffix, "evilcloudfront.net", ""},
		{"cdn", l.CDNSuffix, "cloudfront.net.evil.com", ""},
		{"cdn", l.CDNSuffix, "abc.trycloudflare.com", ""},
		{"cdn", l.CDNSuffix, "foo.azurefd.net", "azure-frontdoor"},
		{"tunnel", l.TunnelService, "abc.trycloudflare.com", "cloudflare-tunnel"},
		{"tunnel", l.TunnelService, "1a2b-3c.ngrok-free.app", "ngrok"},
		{"tunnel", l.TunnelService, "ngrok.io", "ngrok"},
		{"tunnel", l.TunnelService, "evilngrok.io", ""},
		{"tunnel", l.TunnelService, "x.NGROK.io.", "ngrok"},
		{"tunnel", l.TunnelService, "tunnel.eu.ngrok.com", "ngrok"},
		{"tunnel", l.TunnelService, "ngrok.com", ""},
		{"tunnel", l.TunnelService, "abc.lhr.life", "localhost.run"},
		{"tunnel", l.TunnelService, "x-y.euw.devtunnels.ms", "ms-devtunnels"},
		{"tunnel", l.TunnelService, "", ""},
		{"tunnel", l.TunnelService, ".", ""},
		{"tunnel", l.TunnelService, "a..ngrok.io", ""},
		{"dyndns", l.DynDNSProvider, "evil-c2.duckdns.org", "duckdns"},
		{"dyndns", l.DynDNSProvider, "evilduckdns.org", ""},
		{"dyndns", l.DynDNSProvider, "home.ddns.net", "no-ip"},
		{"tor", l.TorName, "3g2upl4pq6kufc4m.onion", "onion"},
		{"tor", l.TorName, "abc.ONION.", "onion"},
		{"tor", l.TorName, "xyz.onion.to", "tor2web"},
		{"tor", l.TorName, "onion", ""},
		{"tor", l.TorName, "onion.example.com", ""},
	}
	for _, c := range cases {
		got, ok := c.f(c.host)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s(%q) = %q,%v want %q", c.name, c.host, got, ok, c.want)
		}
	}
	if !l.DynDNS("x.dynu.net") || l.DynDNS("dynu.network") {
		t.Error("DynDNS")
	}
}

func TestProxyPort(t *testing.T) {
	l := Default()
	for port, want := range map[uint16]string{
		1080: "socks", 3128: "squid", 8080: "http-proxy", 8118: "privoxy", 8888: "http-proxy",
		9050: "tor-socks", 9150: "tor-browser-socks", 4444: "proxy-4444", 9001: "tor-orport",
		9030: "tor-dirport", 8000: "proxy-range", 8443: "proxy-range", 8999: "proxy-range",
		443: "", 7999: "", 9000: "", 0: "",
	} {
		got, ok := l.ProxyPort(port)
		if got != want || ok != (want != "") {
			t.Errorf("ProxyPort(%d) = %q,%v want %q", port, got, ok, want)
		}
	}
}

func TestFreeCA(t *testing.T) {
	l := Default()
	for dn, want := range map[string]string{
		"C=US, O=Let's Encrypt, CN=R11": "letsencrypt",
		"C=US, O=Let's Encrypt, CN=E6":  "letsencrypt",
		"CN=R10,O=Let's Encrypt,C=US":   "letsencrypt",
		"/C=US/O=Let's Encrypt/CN=R3":   "letsencrypt",
		"C=US, CN=E8":                   "letsencrypt",
		"C=US, O=(STAGING) Let's Encrypt, CN=(STAGING) Ersatz Edamame E1":                 "letsencrypt",
		"C=AT, O=ZeroSSL, CN=ZeroSSL RSA Domain Secure Site CA":                           "zerossl",
		"C=NO, O=Buypass AS-983163327, CN=Buypass Class 2 CA 5":                           "buypass",
		"C=US, O=Google Trust Services, CN=WR1":                                           "google-acme",
		"C=US, O=Google Trust Services, CN=WR2":                                           "",
		"C=US, ST=TX, L=Houston, O=cPanel, Inc., CN=cPanel, Inc. Certification Authority": "cpanel-autossl",
		"C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1":             "",
		"C=XX, CN=R3": "",
		"":            "",
	} {
		got, ok := l.FreeCA(dn)
		if got != want || ok != (want != "") {
			t.Errorf("FreeCA(%q) = %q,%v want %q", dn, got, ok, want)
		}
	}
}

func TestDN(t *testing.T) {
	var got []string
	for a, v := range DN("C=US, ST=TX, O=cPanel, Inc., CN=cPanel\\, Inc. CA, OU=a=b") {
		got = append(got, a+"|"+v)
	}
	want := "C|US ST|TX O|cPanel, Inc. CN|cPanel\\, Inc. CA OU|a=b"
	if strings.Join(got, " ") != want {
		t.Errorf("DN = %q want %q", strings.Join(got, " "), want)
	}
	if v, ok := DNAttr("/C=US/O=Org/CN=www.x.com", "cn"); !ok || v != "www.x.com" {
		t.Errorf("DNAttr = %q %v", v, ok)
	}
	if _, ok := DNAttr("garbage", "CN"); ok {
		t.Error("DNAttr on garbage")
	}
}

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadOverlay(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "cdn/cloudflare.txt", "# replaced\n198.51.100.0/24\n")
	write(t, dir, "cdn/mycdn.txt", "203.0.113.0/24\n2001:db8::/32\n192.0.2.7\n")
	write(t, dir, "tunnels.txt", "-ngrok.io\nevil-tunnel.example  custom # comment\n")
	write(t, dir, "dyndns.txt", "my.dyn.example\n")
	write(t, dir, "proxy-ports.txt", "-8000-8999\n7777 custom\n-3128\n")
	write(t, dir, "free-ca.txt", "-letsencrypt\nmyca O=My Free CA, C=FR\n")
	write(t, dir, "tor-relays.txt", "# bulk exit list\n185.220.101.1\nExitAddress 185.220.101.2 2024-01-01 00:00:00\nr nick AAAA BBBB 2024-01-01 00:00:00 185.220.101.3 9001 0\na [2001:db8::9]:9001\nnot an ip\n")

	l, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.IsCDN(netip.MustParseAddr("104.16.1.1")); ok {
		t.Error("built-in cloudflare range not replaced")
	}
	for ip, want := range map[string]string{"198.51.100.9": "cloudflare", "203.0.113.5": "mycdn", "2001:db8::1": "mycdn", "192.0.2.7": "mycdn", "151.101.1.1": "fastly"} {
		if got, _ := l.IsCDN(netip.MustParseAddr(ip)); got != want {
			t.Errorf("IsCDN(%s) = %q want %q", ip, got, want)
		}
	}
	if _, ok := l.TunnelService("a.ngrok.io"); ok {
		t.Error("removed suffix still matches")
	}
	if s, _ := l.TunnelService("x.evil-tunnel.example"); s != "custom" {
		t.Errorf("added tunnel = %q", s)
	}
	if s, _ := l.TunnelService("x.ngrok-free.app"); s != "ngrok" {
		t.Error("other built-ins must stay")
	}
	if p, _ := l.DynDNSProvider("a.my.dyn.example"); p != "my.dyn.example" {
		t.Errorf("dyndns label defaults to suffix, got %q", p)
	}
	if _, ok := l.ProxyPort(8443); ok {
		t.Error("range not removed")
	}
	if _, ok := l.ProxyPort(3128); ok {
		t.Error("port not removed")
	}
	if s, _ := l.ProxyPort(7777); s != "custom" {
		t.Error("port not added")
	}
	if _, ok := l.FreeCA("C=US, O=Let's Encrypt, CN=R3"); ok {
		t.Error("letsencrypt rules not removed")
	}
	if ca, _ := l.FreeCA("CN=X, O=My Free CA, C=FR"); ca != "myca" {
		t.Errorf("user CA = %q", ca)
	}
	for _, ip := range []string{"185.220.101.1", "185.220.101.2", "185.220.101.3", "2001:db8::9"} {
		if !l.IsTor(netip.MustParseAddr(ip)) {
			t.Errorf("IsTor(%s) false", ip)
		}
	}
	if l.Stats().TorRelays != 4 {
		t.Errorf("tor relays = %d", l.Stats().TorRelays)
	}
	// Default is untouched.
	d := Default()
	if _, ok := d.IsCDN(netip.MustParseAddr("104.16.1.1")); !ok {
		t.Error("Load modified Default()")
	}
	if _, ok := d.TunnelService("a.ngrok.io"); !ok {
		t.Error("Load modified Default()")
	}
	if d.IsTor(netip.MustParseAddr("185.220.101.1")) {
		t.Error("Default has no Tor relays")
	}
	if !strings.Contains(l.String(), "4 Tor relays") {
		t.Error(l.String())
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "cdn/x.txt", "10.0.0.0/8\nnot-a-cidr\n")
	write(t, dir, "tunnels.txt", "ok.example svc\nbad..example svc\nnolabel.example\n")
	write(t, dir, "proxy-ports.txt", "99999 big\n10-5 backwards\n")
	write(t, dir, "free-ca.txt", "lonely\n")
	_, err := Load(dir)
	if err == nil {
		t.Fatal("want error")
	}
	for _, want := range []string{"cdn/x.txt:2", "tunnels.txt:2", "tunnels.txt:3", "proxy-ports.txt:1", "proxy-ports.txt:2", "free-ca.txt:1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing dir must fail")
	}
	if l, err := Load(""); err != nil || l != Default() {
		t.Error("Load(\"\") must be Default()")
	}
}

func TestTorFormats(t *testing.T) {
	onionoo := `{"version":"8.0","relays":[{"nickname":"a","or_addresses":["192.0.2.1:9001","[2001:db8::1]:443"],"exit_addresses":["192.0.2.99"]}]}`
	got, err := ParseTorRelays(strings.NewReader(onionoo))
	if err != nil || len(got) != 3 {
		t.Fatalf("onionoo: %v %v", got, err)
	}
	desc := "router nick 198.51.100.4 9001 0 9030\nor-address [2001:db8::4]:9001\nplatform Tor 0.4.8\n198.51.100.0/30\n"
	got, err = ParseTorRelays(strings.NewReader(desc))
	if err != nil || len(got) != 3 || got[2].String() != "198.51.100.0/30" {
		t.Fatalf("descriptors: %v %v", got, err)
	}
	if _, err := ParseTorRelays(strings.NewReader("{bad json")); err == nil {
		t.Error("bad onionoo must fail")
	}
	p := filepath.Join(t.TempDir(), "exits")
	write(t, filepath.Dir(p), "exits", "203.0.113.10\n203.0.113.11\n203.0.113.10\n")
	l, err := Default().WithTorRelays(p)
	if err != nil {
		t.Fatal(err)
	}
	if !l.IsTor(netip.MustParseAddr("203.0.113.11")) || l.IsTor(netip.MustParseAddr("203.0.113.12")) || l.Stats().TorRelays != 2 {
		t.Error("WithTorRelays")
	}
	if _, err := Default().WithTorRelays(p + ".missing"); err == nil {
		t.Error("missing Tor file must fail")
	}
}

func TestNoAllocs(t *testing.T) {
	l := Default()
	a := netip.MustParseAddr("104.16.1.1")
	n := testing.AllocsPerRun(100, func() {
		l.IsCDN(a)
		l.TunnelService("Abc.Def.NGROK-free.app.")
		l.CDNSuffix("www.example.com")
		l.DynDNS("x.duckdns.org")
		l.TorName("x.onion.to")
		l.ProxyPort(8443)
		l.FreeCA("C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1")
		l.IsTor(a)
	})
	if n != 0 {
		t.Errorf("allocs = %v", n)
	}
}

func BenchmarkIsCDN(b *testing.B) {
	l := Default()
	addrs := []netip.Addr{netip.MustParseAddr("104.16.1.1"), netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("2a00:1450:4001::5")}
	for i := 0; b.Loop(); i++ {
		l.IsCDN(addrs[i%len(addrs)])
	}
}

func BenchmarkHostSuffix(b *testing.B) {
	l := Default()
	hosts := []string{"www.example.com", "a1b2.ngrok-free.app", "d111111abcdef8.cloudfront.net", "login.microsoftonline.com"}
	for i := 0; b.Loop(); i++ {
		h := hosts[i%len(hosts)]
		l.TunnelService(h)
	}
}

func BenchmarkFreeCA(b *testing.B) {
	l := Default()
	dns := []string{"C=US, O=Let's Encrypt, CN=R11", "C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1"}
	for i := 0; b.Loop(); i++ {
		l.FreeCA(dns[i%len(dns)])
	}
}

func TestLoadWith(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "tor.txt", "192.0.2.9\n")
	l, err := LoadWith("", filepath.Join(dir, "tor.txt"))
	if err != nil || !l.IsTor(netip.MustParseAddr("192.0.2.9")) {
		t.Fatal(err)
	}
	if _, err := LoadWith("", filepath.Join(dir, "missing")); err == nil {
		t.Error("missing tor file")
	}
	if l, err := LoadWith("", ""); err != nil || l != Default() {
		t.Error("defaults")
	}
}
