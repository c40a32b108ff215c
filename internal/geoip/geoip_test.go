package geoip

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

type rec struct {
	cidr string
	data mmdbtype.Map
}

// writeDB builds a small .mmdb with mmdbwriter.
func writeDB(t testing.TB, path, dbType string, ipVersion int, reserved bool, recs []rec) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: dbType, IPVersion: ipVersion, RecordSize: 24,
		IncludeReservedNetworks: reserved,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		_, n, err := net.ParseCIDR(r.cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, r.data); err != nil {
			t.Fatalf("insert %s: %v", r.cidr, err)
		}
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil { // replace by rename, as in production
		t.Fatal(err)
	}
}

func geoip2Country(iso string) mmdbtype.Map {
	return mmdbtype.Map{
		"continent": mmdbtype.Map{"code": mmdbtype.String("EU")},
		"country": mmdbtype.Map{
			"geoname_id": mmdbtype.Uint32(2921044),
			"iso_code":   mmdbtype.String(iso),
			"names":      mmdbtype.Map{"en": mmdbtype.String("Name of " + iso), "de": mmdbtype.String("Land")},
		},
		"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String(iso)},
		"city":               mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("Some City")}},
		"location":           mmdbtype.Map{"latitude": mmdbtype.Float64(52.5), "longitude": mmdbtype.Float64(13.4), "time_zone": mmdbtype.String("Europe/Berlin")},
		"subdivisions":       mmdbtype.Slice{mmdbtype.Map{"iso_code": mmdbtype.String("BE")}},
	}
}

func geoip2ASN(n uint32, org string) mmdbtype.Map {
	return mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(n),
		"autonomous_system_organization": mmdbtype.String(org),
	}
}

func maxmindFiles(t testing.TB, dir string) (city, asn string) {
	city = filepath.Join(dir, "GeoLite2-City.mmdb")
	asn = filepath.Join(dir, "GeoLite2-ASN.mmdb")
	writeDB(t, city, "GeoLite2-City", 6, true, []rec{
		{"81.2.69.0/24", geoip2Country("GB")},
		{"2a02:ff00::/32", geoip2Country("IT")},
		{"10.0.0.0/8", geoip2Country("ZZ")}, // a private range, e.g. a site-local overlay
		{"89.160.20.112/28", mmdbtype.Map{"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("SE")}}},
	})
	writeDB(t, asn, "GeoLite2-ASN", 6, false, []rec{
		{"81.2.69.0/24", geoip2ASN(20712, "Andrews & Arnold Ltd")},
		{"2a02:ff00::/32", geoip2ASN(12345, "Example v6 AS")},
	})
	return city, asn
}

func TestGeoIP2Schema(t *testing.T) {
	city, asn := maxmindFiles(t, t.TempDir())
	db, err := Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		ip   string
		want Geo
	}{
		{"81.2.69.142", Geo{"GB", 20712, "Andrews & Arnold Ltd"}},
		{"::ffff:81.2.69.142", Geo{"GB", 20712, "Andrews & Arnold Ltd"}},
		{"2a02:ff00::1", Geo{"IT", 12345, "Example v6 AS"}},
		{"10.20.30.40", Geo{Country: "ZZ"}},
		{"89.160.20.113", Geo{Country: "SE"}}, // registered_country fallback
		{"192.168.1.1", Geo{}},
		{"8.8.8.8", Geo{}},
		{"2001:4860::8888", Geo{}},
	} {
		if got := db.Lookup(netip.MustParseAddr(c.ip)); got != c.want {
			t.Errorf("Lookup(%s) = %+v want %+v", c.ip, got, c.want)
		}
	}
	if got := db.Lookup(netip.Addr{}); got != (Geo{}) {
		t.Errorf("invalid addr: %+v", got)
	}
	info := db.Info()
	if len(info) != 2 || info[0].Schema != "geoip2" || info[0].Fields != "country" || info[1].Fields != "asn" || info[0].DatabaseType != "GeoLite2-City" {
		t.Errorf("info = %+v", info)
	}
	if db.DecodeErrors() != 0 {
		t.Errorf("decode errors: %d", db.DecodeErrors())
	}
}

func TestFlatSchema(t *testing.T) {
	dir := t.TempDir()
	country := filepath.Join(dir, "geo-whois-asn-country.mmdb")
	asn := filepath.Join(dir, "asn.mmdb")
	writeDB(t, country, "ip-location-db", 6, false, []rec{
		{"1.0.0.0/24", mmdbtype.Map{"country_code": mmdbtype.String("AU")}},
		{"2c0f:f248::/32", mmdbtype.Map{"country_code": mmdbtype.String("ZA")}},
		{"5.6.0.0/16", mmdbtype.Map{
			"country_code": mmdbtype.String("FR"), "state1": mmdbtype.String("Ile-de-France"),
			"city": mmdbtype.String("Paris"), "latitude": mmdbtype.Float32(48.8), "longitude": mmdbtype.Float32(2.3),
			"postcode": mmdbtype.String("75001"), "timezone": mmdbtype.String("Europe/Paris"),
		}},
	})
	// ip-location-db's ASN files use the MaxMind key names.
	writeDB(t, asn, "ip-location-db-asn", 6, false, []rec{
		{"1.0.0.0/24", geoip2ASN(13335, "Cloudflare, Inc.")},
	})
	db, err := Open(country, asn)
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]Geo{
		"1.0.0.1":        {"AU", 13335, "Cloudflare, Inc."},
		"5.6.7.8":        {Country: "FR"},
		"2c0f:f248::1":   {Country: "ZA"},
		"203.0.113.7":    {},
		"::ffff:1.0.0.9": {"AU", 13335, "Cloudflare, Inc."},
	} {
		if got := db.Lookup(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Lookup(%s) = %+v want %+v", ip, got, want)
		}
	}
	if s := db.Info()[0].Schema; s != "flat" {
		t.Errorf("schema = %s", s)
	}
}

func TestFlatASNVariants(t *testing.T) {
	dir := t.TempDir()
	for i, c := range []struct {
		data mmdbtype.Map
		want Geo
	}{
		{mmdbtype.Map{"as_number": mmdbtype.Uint32(64500), "as_organisation": mmdbtype.String("Org A")}, Geo{ASN: 64500, ASOrg: "Org A"}},
		{mmdbtype.Map{"asn": mmdbtype.Uint32(64501), "as_organization": mmdbtype.String("Org B")}, Geo{ASN: 64501, ASOrg: "Org B"}},
		{mmdbtype.Map{"country": mmdbtype.String("US"), "asn": mmdbtype.String("AS13335"), "as_name": mmdbtype.String("Cloudflare")}, Geo{"US", 13335, "Cloudflare"}},
		{mmdbtype.Map{"asn": mmdbtype.Uint16(65000)}, Geo{ASN: 65000}},
	} {
		p := filepath.Join(dir, fmt.Sprintf("v%d.mmdb", i))
		writeDB(t, p, "custom", 6, false, []rec{{"100.1.0.0/16", c.data}})
		db, err := Open(p, "")
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if got := db.Lookup(netip.MustParseAddr("100.1.2.3")); got != c.want {
			t.Errorf("%d: Lookup = %+v want %+v", i, got, c.want)
		}
		if db.DecodeErrors() != 0 {
			t.Errorf("%d: decode errors", i)
		}
	}
}

func TestIPv4OnlyDB(t *testing.T) {
	p := filepath.Join(t.TempDir(), "v4.mmdb")
	writeDB(t, p, "GeoLite2-Country", 4, true, []rec{
		{"81.2.69.0/24", geoip2Country("GB")},
		{"172.16.0.0/12", geoip2Country("XX")},
	})
	db, err := Open(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if g := db.Lookup(netip.MustParseAddr("81.2.69.1")); g.Country != "GB" {
		t.Errorf("v4: %+v", g)
	}
	if g := db.Lookup(netip.MustParseAddr("172.20.1.1")); g.Country != "XX" {
		t.Errorf("private: %+v", g)
	}
	if g := db.Lookup(netip.MustParseAddr("2a02::1")); g != (Geo{}) || db.DecodeErrors() != 0 {
		t.Errorf("v6 in v4-only DB: %+v, %d errors", g, db.DecodeErrors())
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.mmdb"), ""); err == nil {
		t.Error("missing file must fail")
	}
	bad := filepath.Join(dir, "bad.mmdb")
	os.WriteFile(bad, []byte("not an mmdb"), 0o644)
	if _, err := Open("", bad); err == nil {
		t.Error("garbage must fail")
	}
	odd := filepath.Join(dir, "odd.mmdb")
	writeDB(t, odd, "odd", 6, false, []rec{{"100.1.0.0/16", mmdbtype.Map{"foo": mmdbtype.String("bar")}}})
	if _, err := Open(odd, ""); err == nil {
		t.Error("unknown layout must fail")
	}
	var none *DB
	if g := none.Lookup(netip.MustParseAddr("81.2.69.1")); g != (Geo{}) {
		t.Error("nil DB")
	}
	db, err := Open("", "")
	if err != nil {
		t.Fatal(err)
	}
	if g := db.Lookup(netip.MustParseAddr("81.2.69.1")); g != (Geo{}) {
		t.Error("empty DB")
	}
}

func TestReload(t *testing.T) {
	dir := t.TempDir()
	city, asn := maxmindFiles(t, dir)
	db, err := Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr("81.2.69.142")
	before := db.Lookup(ip)
	if changed, err := db.ReloadIfChanged(); changed || err != nil {
		t.Fatalf("unchanged files reloaded: %v %v", changed, err)
	}

	// Lookups keep running while the file is replaced and reloaded.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				g := db.Lookup(ip)
				if g.Country != "GB" && g.Country != "FR" {
					t.Errorf("mid-reload lookup: %+v", g)
					return
				}
			}
		}()
	}
	writeDB(t, city, "GeoLite2-City", 6, false, []rec{{"81.2.69.0/24", geoip2Country("FR")}})
	changed, err := db.ReloadIfChanged()
	close(stop)
	wg.Wait()
	if !changed || err != nil {
		t.Fatalf("ReloadIfChanged = %v, %v", changed, err)
	}
	if g := db.Lookup(ip); g.Country != "FR" || g.ASN != 20712 {
		t.Errorf("after reload: %+v", g)
	}
	if before.Country != "GB" || before.ASOrg != "Andrews & Arnold Ltd" {
		t.Errorf("strings from the old file changed: %+v", before)
	}
	// A broken replacement keeps the old databases. (Replaced by rename:
	// writing into a mapped file in place would change the live data.)
	os.WriteFile(city+".new", []byte("garbage"), 0o644)
	os.Rename(city+".new", city)
	if err := db.Reload(); err == nil {
		t.Error("reload of garbage must fail")
	}
	if g := db.Lookup(ip); g.Country != "FR" {
		t.Errorf("after failed reload: %+v", g)
	}
}

func TestLookupNoAlloc(t *testing.T) {
	city, asn := maxmindFiles(t, t.TempDir())
	db, err := Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	ips := []netip.Addr{netip.MustParseAddr("81.2.69.142"), netip.MustParseAddr("2a02:ff00::1"), netip.MustParseAddr("8.8.8.8")}
	for _, ip := range ips {
		db.Lookup(ip)
	}
	n := testing.AllocsPerRun(200, func() {
		for _, ip := range ips {
			db.Lookup(ip)
		}
	})
	if n != 0 {
		t.Errorf("allocs per lookup round = %v", n)
	}
}

func TestParseASN(t *testing.T) {
	for s, want := range map[string]uint32{"AS13335": 13335, "as1": 1, "13335": 13335, "AS": 0, "ASx": 0, "": 0, "AS99999999999": 0} {
		if got := parseASN(s); got != want {
			t.Errorf("parseASN(%q) = %d", s, got)
		}
	}
}

func TestDetectSampleUnion(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "city.mmdb")
	// The first record (1.0.0.0/24) has no country; detection must look further.
	writeDB(t, p, "GeoLite2-City", 6, false, []rec{
		{"1.0.0.0/24", mmdbtype.Map{"continent": mmdbtype.Map{"code": mmdbtype.String("OC")}}},
		{"81.2.69.0/24", geoip2Country("GB")},
	})
	db, err := Open(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if g := db.Lookup(netip.MustParseAddr("81.2.69.1")); g.Country != "GB" {
		t.Errorf("%+v", g)
	}
	if g := db.Lookup(netip.MustParseAddr("1.0.0.1")); g != (Geo{}) {
		t.Errorf("%+v", g)
	}
	// No country anywhere, but MaxMind metadata: trusted as a City file.
	p2 := filepath.Join(dir, "city2.mmdb")
	writeDB(t, p2, "GeoIP2-City", 6, false, []rec{{"1.0.0.0/24", mmdbtype.Map{"continent": mmdbtype.Map{"code": mmdbtype.String("OC")}}}})
	if db, err := Open(p2, ""); err != nil || db.Info()[0].Schema != "geoip2" {
		t.Errorf("metadata hint: %v", err)
	}
}
