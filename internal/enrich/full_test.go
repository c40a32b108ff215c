package enrich

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/nethunt/nethunt/internal/config"
	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/fields"
)

func writeMMDB(t *testing.T, path, typ string, recs map[string]mmdbtype.Map) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: typ, IPVersion: 6, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, m := range recs {
		_, n, _ := net.ParseCIDR(cidr)
		if err := tree.Insert(n, m); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := os.Create(path)
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestEnrichEverything configures every enrichment (a GeoIP pair and an
// intel list built here, a Tor relay list) and checks the registry fields
// of real-looking events, as a hunt would see them.
func TestEnrichEverything(t *testing.T) {
	dir := t.TempDir()
	city, asn := filepath.Join(dir, "city.mmdb"), filepath.Join(dir, "asn.mmdb")
	writeMMDB(t, city, "GeoLite2-City", map[string]mmdbtype.Map{
		"139.162.0.0/16": {"country": mmdbtype.Map{"iso_code": mmdbtype.String("DE")}},
	})
	writeMMDB(t, asn, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"139.162.0.0/16": {"autonomous_system_number": mmdbtype.Uint32(63949), "autonomous_system_organization": mmdbtype.String("Akamai Connected Cloud")},
	})
	feed := filepath.Join(dir, "c2.txt")
	os.WriteFile(feed, []byte("evil-proxy.example.net\n"), 0o644)
	tor := filepath.Join(dir, "tor.txt")
	os.WriteFile(tor, []byte("51.77.174.206\n"), 0o644)

	cfg := config.Default()
	cfg.NetworkGroups = []config.NetGroup{{Name: "Users", CIDR: "10.10.0.0/16"}}
	cfg.GeoIP = config.GeoIP{City: city, ASN: asn}
	cfg.Intel = []config.IntelSource{{Path: feed, Name: "c2"}}
	cfg.TorRelays = tor
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	get := func(line, field string) any {
		t.Helper()
		ev, err := decode.Decode([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		e.Event(ev)
		f, ok := fields.Lookup(field)
		if !ok {
			t.Fatalf("no field %s", field)
		}
		return f.Get(ev)
	}
	tlsLE := `{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"tls","src_ip":"10.10.0.56","src_port":50000,"dest_ip":"139.162.79.52","dest_port":8888,"proto":"TCP","tls":{"sni":"echo21.ddns.net","subject":"CN=echo21.ddns.net","issuerdn":"C=US, O=Let's Encrypt, CN=R11","notbefore":"2026-11-01T00:00:00","notafter":"2027-01-30T00:00:00"}}`
	if v := get(tlsLE, "dest_country"); v != "DE" {
		t.Errorf("dest_country = %v", v)
	}
	if v := get(tlsLE, "dest_asn"); v != int64(63949) {
		t.Errorf("dest_asn = %v", v)
	}
	if v := get(tlsLE, "src_group"); !slices.Equal(v.([]string), []string{"Users"}) {
		t.Errorf("src_group = %v", v)
	}
	if v := get(tlsLE, "dyndns"); v == nil {
		t.Errorf("ddns.net not recognised as dynamic DNS")
	}
	if v := get(tlsLE, "domain"); v != "echo21.ddns.net" && v != "ddns.net" {
		t.Errorf("domain = %v", v)
	}
	if v, _ := get(tlsLE, "tls.cert_traits").([]string); !slices.ContainsFunc(v, func(s string) bool { return s == "free-ca:letsencrypt" }) {
		t.Errorf("cert traits %v lack Let's Encrypt", v)
	}
	if v := get(tlsLE, "proxy_port"); v == nil {
		t.Errorf("8888 not labelled a proxy port")
	}
	intelHit := `{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"dns","src_ip":"10.10.0.5","dest_ip":"10.20.0.53","proto":"UDP","dns":{"type":"query","rrname":"api.evil-proxy.example.net","rrtype":"A"}}`
	if v, _ := get(intelHit, "intel.source").([]string); !slices.Equal(v, []string{"c2"}) {
		t.Errorf("intel.source = %v", v)
	}
	torFlow := `{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"flow","src_ip":"10.10.192.25","src_port":50001,"dest_ip":"51.77.174.206","dest_port":443,"proto":"TCP","flow":{"pkts_toserver":10,"pkts_toclient":10,"bytes_toserver":5000,"bytes_toclient":9000}}`
	if v := get(torFlow, "tor"); v != "dest-relay" {
		t.Errorf("tor = %v", v)
	}
	tunnel := `{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"tls","src_ip":"10.10.168.27","src_port":50002,"dest_ip":"13.107.246.34","dest_port":443,"proto":"TCP","tls":{"sni":"a08u6mu3-3051.euw.devtunnels.ms"}}`
	if v := get(tunnel, "tunnel"); v == nil {
		t.Errorf("devtunnels.ms not recognised as a tunnelling service")
	}
	plain := `{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"flow","src_ip":"10.10.0.5","src_port":50003,"dest_ip":"10.20.0.53","dest_port":53,"proto":"UDP"}`
	for _, f := range []string{"dest_country", "intel.type", "tor", "tunnel", "cdn", "proxy_port"} {
		if v := get(plain, f); v != nil {
			t.Errorf("plain internal DNS flow has %s = %v", f, v)
		}
	}
}

func BenchmarkEnrich(b *testing.B) {
	e, _ := New(config.Default())
	ev, _ := decode.Decode([]byte(`{"timestamp":"2026-11-20T10:00:00.000000+0000","event_type":"tls","src_ip":"10.10.0.56","src_port":50000,"dest_ip":"139.162.79.52","dest_port":443,"proto":"TCP","tls":{"sni":"www.example.com","subject":"CN=www.example.com","issuerdn":"C=US, O=DigiCert Inc, CN=DigiCert TLS RSA SHA256 2020 CA1"}}`))
	for b.Loop() {
		e.Event(ev)
	}
}
