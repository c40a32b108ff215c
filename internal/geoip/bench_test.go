package geoip

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// A synthetic pair of databases: 40k IPv4 /24s and 4k IPv6 /48s, 2,000
// distinct City records and 4,000 distinct AS records, so lookups walk a
// tree of realistic depth and decode realistic records.
var bench struct {
	once      sync.Once
	city, asn string
	addrs     []netip.Addr
}

func benchDB(b *testing.B) (*DB, []netip.Addr) { return benchDBCache(b, DefaultCacheSize) }

func benchDBCache(b *testing.B, cache int) (*DB, []netip.Addr) {
	bench.once.Do(func() {
		dir, err := osMkdirTemp()
		if err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(7, 7))
		var cityRecs, asnRecs []rec
		for i := 0; i < 44000; i++ {
			var cidr string
			var a netip.Addr
			if i < 40000 {
				ip := [4]byte{byte(1 + r.IntN(223)), byte(r.IntN(256)), byte(r.IntN(256)), 0}
				if ip[0] == 10 || ip[0] == 127 || ip[0] == 100 || ip[0] == 169 || ip[0] == 172 || ip[0] == 192 || ip[0] == 198 || ip[0] == 203 {
					ip[0] = 81
				}
				cidr = fmt.Sprintf("%d.%d.%d.0/24", ip[0], ip[1], ip[2])
				a = netip.AddrFrom4([4]byte{ip[0], ip[1], ip[2], byte(1 + r.IntN(254))})
			} else {
				hi := uint16(0x2a00 + r.IntN(0x100))
				cidr = fmt.Sprintf("%x:%x:%x::/48", hi, r.IntN(65536), r.IntN(65536))
				p := netip.MustParsePrefix(cidr)
				b16 := p.Addr().As16()
				b16[15] = 1
				a = netip.AddrFrom16(b16)
			}
			c := geoip2Country(fmt.Sprintf("%c%c", 'A'+r.IntN(26), 'A'+r.IntN(26)))
			c["city"] = mmdbtype.Map{"geoname_id": mmdbtype.Uint32(r.IntN(2000)), "names": mmdbtype.Map{"en": mmdbtype.String(fmt.Sprintf("City %d", r.IntN(2000)))}}
			cityRecs = append(cityRecs, rec{cidr, c})
			n := r.IntN(4000)
			asnRecs = append(asnRecs, rec{cidr, geoip2ASN(uint32(64000+n), fmt.Sprintf("Example Networks %d Ltd", n))})
			bench.addrs = append(bench.addrs, a)
		}
		bench.city = filepath.Join(dir, "city.mmdb")
		bench.asn = filepath.Join(dir, "asn.mmdb")
		writeDB(b, bench.city, "GeoIP2-City", 6, false, cityRecs)
		writeDB(b, bench.asn, "GeoLite2-ASN", 6, false, asnRecs)
	})
	db, err := OpenCache(bench.city, bench.asn, cache)
	if err != nil {
		b.Fatal(err)
	}
	return db, bench.addrs
}

func runLookups(b *testing.B, db *DB, addrs []netip.Addr) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		db.Lookup(addrs[i%len(addrs)])
		i++
	}
}

// Both files, 44k distinct addresses (random order), record cache on.
func BenchmarkLookup(b *testing.B) {
	db, addrs := benchDB(b)
	runLookups(b, db, addrs)
}

// Without the address cache: tree walk + record-cache probe.
func BenchmarkLookupNoAddrCache(b *testing.B) {
	db, addrs := benchDBCache(b, 0)
	runLookups(b, db, addrs)
}

// Without the address cache and the per-offset record cache: tree walk +
// struct decode, what maxminddb costs by itself.
func BenchmarkLookupNoCaches(b *testing.B) {
	db, addrs := benchDBCache(b, 0)
	st := db.state.Load()
	st.loc.noCache, st.asn.noCache = true, true
	runLookups(b, db, addrs)
}

// A hot set of 1,000 addresses (what a sensor mostly sees).
func BenchmarkLookupHot(b *testing.B) {
	db, addrs := benchDB(b)
	runLookups(b, db, addrs[:1000])
}

func BenchmarkLookupHotNoAddrCache(b *testing.B) {
	db, addrs := benchDBCache(b, 0)
	runLookups(b, db, addrs[:1000])
}

// Addresses not in the files (private and unallocated space).
func BenchmarkLookupMiss(b *testing.B) {
	db, _ := benchDB(b)
	runLookups(b, db, []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("192.168.1.1"), netip.MustParseAddr("fd00::1")})
}

func BenchmarkLookupParallel(b *testing.B) {
	db, addrs := benchDB(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(len(addrs))
		for pb.Next() {
			db.Lookup(addrs[i%len(addrs)])
			i++
		}
	})
}

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "geoip-bench") }

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.city != "" {
		os.RemoveAll(filepath.Dir(bench.city))
	}
	os.Exit(code)
}
