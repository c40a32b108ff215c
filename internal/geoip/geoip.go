// Package geoip looks up the country and autonomous system of addresses in
// MaxMind DB (.mmdb) files, for the enrich stage.
//
// Two record layouts are understood, detected per file from its metadata
// and a sample record:
//
//   - the MaxMind GeoIP2 / GeoLite2 schema (also used by DB-IP Lite and by
//     ip-location-db's ASN files): country.iso_code (registered_country as
//     fallback), autonomous_system_number, autonomous_system_organization;
//   - the flat schema of ip-location-db's country and city files
//     (country_code, state1, city, ...), with AS keys as_number / asn and
//     as_organisation / as_organization / as_name accepted too; an "asn"
//     written as a string ("AS13335", as ipinfo does) is parsed.
//
// Lookups decode into small structs: no allocation on the hot path (the
// reader interns strings), and decoded records are cached by their offset
// in the file, so the per-lookup cost is the tree walk plus a map probe.
// Files are memory-mapped; Reload reopens them, so update a database by
// writing a new file and renaming it over the old one, never in place.
package geoip

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
	"github.com/oschwald/maxminddb-golang/v2/mmdbdata"
)

// Geo is what the enrich stage stores per address. Zero values mean
// unknown (private addresses, addresses the database does not cover).
type Geo struct {
	Country string // ISO 3166-1 alpha-2 code, e.g. "DE"
	ASN     uint32
	ASOrg   string
}

// Info describes one opened database file.
type Info struct {
	Path         string
	DatabaseType string // from the metadata, e.g. "GeoLite2-City"
	Schema       string // "geoip2" or "flat"
	Fields       string // what the file provides: "country", "asn" or "country+asn"
	BuildTime    time.Time
	IPVersion    int
	NodeCount    int
}

// DB is a pair of optional databases: one for the country (a City or
// Country database) and one for the AS. It is safe for concurrent use,
// including Lookup during Reload.
type DB struct {
	locPath, asnPath string
	state            atomic.Pointer[state]
	reloadMu         sync.Mutex
	errors           atomic.Uint64
	cache            *addrCache
	gen              atomic.Uint64
}

type state struct {
	loc, asn *reader
	gen      uint64 // increments on every (re)load; tags address-cache entries
}

// Open opens the country (City or Country) and AS databases; either path
// may be "" and both may name the same file when it carries both. A
// missing or unreadable file, or one that provides neither a country nor
// an AS, is an error. Lookups go through an address cache of
// DefaultCacheSize entries; see OpenCache.
func Open(cityOrCountryPath, asnPath string) (*DB, error) {
	return OpenCache(cityOrCountryPath, asnPath, DefaultCacheSize)
}

// OpenCache is Open with an address cache of cacheSize entries (0: none).
func OpenCache(cityOrCountryPath, asnPath string, cacheSize int) (*DB, error) {
	db := &DB{locPath: cityOrCountryPath, asnPath: asnPath, cache: newAddrCache(cacheSize)}
	st, err := db.open()
	if err != nil {
		return nil, err
	}
	db.state.Store(st)
	return db, nil
}

func (db *DB) open() (*state, error) {
	st := &state{gen: db.gen.Add(1)}
	var err error
	if db.locPath != "" {
		if st.loc, err = openReader(db.locPath); err != nil {
			return nil, err
		}
	}
	if db.asnPath != "" {
		if st.asn, err = openReader(db.asnPath); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// Reload reopens both files and swaps them in atomically; lookups in
// flight finish on the old files, which are unmapped once unreferenced
// (the reader registers a GC cleanup). On error the old databases stay.
func (db *DB) Reload() error {
	db.reloadMu.Lock()
	defer db.reloadMu.Unlock()
	st, err := db.open()
	if err != nil {
		return err
	}
	db.state.Store(st)
	return nil
}

// ReloadIfChanged reloads when a file's size, modification time or inode
// (rename) changed since it was opened, and reports whether it did.
func (db *DB) ReloadIfChanged() (bool, error) {
	st := db.state.Load()
	changed := false
	for _, r := range []*reader{st.loc, st.asn} {
		if r == nil {
			continue
		}
		fi, err := os.Stat(r.info.Path)
		if err != nil {
			return false, err
		}
		if !os.SameFile(fi, r.stat) || fi.Size() != r.stat.Size() || !fi.ModTime().Equal(r.stat.ModTime()) {
			changed = true
		}
	}
	if !changed {
		return false, nil
	}
	return true, db.Reload()
}

// Info describes the opened files (country first).
func (db *DB) Info() []Info {
	st := db.state.Load()
	var out []Info
	for _, r := range []*reader{st.loc, st.asn} {
		if r != nil {
			out = append(out, r.info)
		}
	}
	return out
}

// DecodeErrors counts records that could not be decoded (a schema this
// package does not understand); such lookups return what could be read.
func (db *DB) DecodeErrors() uint64 { return db.errors.Load() }

// Close unmaps the files. No Lookup may run concurrently or afterwards.
func (db *DB) Close() error {
	st := db.state.Load()
	var errs []error
	for _, r := range []*reader{st.loc, st.asn} {
		if r != nil {
			errs = append(errs, r.r.Close())
		}
	}
	return errors.Join(errs...)
}

// Lookup returns the country and AS of a. IPv4-mapped IPv6 addresses are
// looked up as IPv4; invalid addresses, addresses not in the files and a
// nil *DB (GeoIP not configured) give the zero Geo. It does not allocate.
func (db *DB) Lookup(a netip.Addr) Geo {
	var g Geo
	if db == nil || !a.IsValid() {
		return g
	}
	a = a.Unmap().WithZone("")
	st := db.state.Load()
	if db.cache != nil {
		if g, ok := db.cache.get(a, st.gen); ok {
			return g
		}
	}
	if st.loc != nil {
		if !st.loc.lookup(a, &g) {
			db.errors.Add(1)
		}
	}
	if st.asn != nil && st.asn != st.loc {
		if !st.asn.lookup(a, &g) {
			db.errors.Add(1)
		}
	}
	if db.cache != nil {
		db.cache.put(a, st.gen, g)
	}
	return g
}

// reader is one opened file with its detected schema and a cache of
// decoded records keyed by their offset in the file.
type reader struct {
	r      *maxminddb.Reader
	schema schema
	info   Info
	stat   os.FileInfo
	v4only bool

	noCache bool // benchmarks only: decode every time
	mu      sync.RWMutex
	byOff   map[uintptr]Geo
	pool    sync.Pool
}

// maxCachedRecords bounds the per-file record cache (a Country file has a
// few hundred distinct records, an ASN file ~80k, a City file millions:
// the hot ones fit).
const maxCachedRecords = 1 << 16

func openReader(path string) (*reader, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("geoip: %w", err)
	}
	mr, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geoip: %s: %w", path, err)
	}
	sch, err := detect(mr)
	if err != nil {
		mr.Close()
		return nil, fmt.Errorf("geoip: %s: %w", path, err)
	}
	m := mr.Metadata
	r := &reader{
		r: mr, schema: sch, stat: fi, v4only: m.IPVersion == 4,
		byOff: make(map[uintptr]Geo),
		info: Info{
			Path: path, DatabaseType: m.DatabaseType, Schema: sch.name(), Fields: sch.fields(),
			BuildTime: m.BuildTime().UTC(), IPVersion: int(m.IPVersion), NodeCount: int(m.NodeCount),
		},
	}
	r.pool.New = func() any { return sch.newRecord() }
	return r, nil
}

// lookup fills the fields of g this file provides (without overwriting
// what an earlier file set). It reports false on a decode error.
func (r *reader) lookup(a netip.Addr, g *Geo) bool {
	if r.v4only && a.Is6() {
		return true
	}
	res := r.r.Lookup(a)
	if !res.Found() {
		return res.Err() == nil
	}
	off := res.Offset()
	var rec Geo
	ok := false
	if !r.noCache {
		r.mu.RLock()
		rec, ok = r.byOff[off]
		r.mu.RUnlock()
	}
	if !ok {
		dst := r.pool.Get().(record)
		dst.reset()
		err := res.Decode(dst)
		rec = dst.geo()
		r.pool.Put(dst)
		if err != nil {
			merge(g, rec)
			return false
		}
		r.mu.Lock()
		if len(r.byOff) >= maxCachedRecords {
			clear(r.byOff)
		}
		r.byOff[off] = rec
		r.mu.Unlock()
	}
	merge(g, rec)
	return true
}

func merge(g *Geo, rec Geo) {
	if g.Country == "" {
		g.Country = rec.Country
	}
	if g.ASN == 0 {
		g.ASN = rec.ASN
	}
	if g.ASOrg == "" {
		g.ASOrg = rec.ASOrg
	}
}

// schema says how to decode a file's records.
type schema struct {
	geoip2    bool   // country is a map with iso_code
	asnString bool   // "asn" is a string like "AS13335"
	country   bool   // provides a country
	asn       bool   // provides an AS number or organisation
	asnKey    string // for flat files
	orgKey    string // for flat files
}

func (s schema) name() string {
	if s.geoip2 {
		return "geoip2"
	}
	return "flat"
}

func (s schema) fields() string {
	switch {
	case s.country && s.asn:
		return "country+asn"
	case s.country:
		return "country"
	default:
		return "asn"
	}
}

var (
	asnKeys = []string{"autonomous_system_number", "as_number", "asn"}
	orgKeys = []string{"autonomous_system_organization", "as_organisation", "as_organization", "as_name", "as_org"}
)

// detect reads the metadata and up to sampleRecords records with data,
// and picks the schema from the union of their keys (one record may lack a
// country, e.g. an anycast or satellite range).
func detect(mr *maxminddb.Reader) (schema, error) {
	const sampleRecords = 64
	var s schema
	keys := map[string]any{} // key -> a sample value
	n := 0
	for res := range mr.Networks() {
		if err := res.Err(); err != nil {
			return s, err
		}
		var rec map[string]any
		if err := res.Decode(&rec); err != nil {
			return s, err
		}
		for k, v := range rec {
			if _, seen := keys[k]; !seen {
				keys[k] = v
			}
		}
		if n++; n >= sampleRecords {
			break
		}
	}
	dbType := strings.ToLower(mr.Metadata.DatabaseType)
	maxmindType := strings.Contains(dbType, "geoip2") || strings.Contains(dbType, "geolite2") || strings.Contains(dbType, "dbip") || strings.Contains(dbType, "db-ip")
	if len(keys) == 0 {
		// An empty database: trust the metadata.
		s.geoip2 = maxmindType
		s.asn = strings.Contains(dbType, "asn")
		s.country = !s.asn
		return s, nil
	}
	for _, k := range []string{"country", "registered_country"} {
		if m, ok := keys[k].(map[string]any); ok {
			s.geoip2 = true
			if _, ok := m["iso_code"]; ok {
				s.country = true
			}
		}
	}
	if !s.geoip2 {
		if _, ok := keys["country_code"].(string); ok {
			s.country = true
		} else if c, ok := keys["country"].(string); ok && len(c) == 2 {
			s.country = true
		}
	}
	for _, k := range asnKeys {
		if v, ok := keys[k]; ok {
			s.asn, s.asnKey = true, k
			_, s.asnString = v.(string)
			break
		}
	}
	for _, k := range orgKeys {
		if _, ok := keys[k]; ok {
			s.asn, s.orgKey = true, k
			break
		}
	}
	standardAS := (s.asnKey == "" || s.asnKey == asnKeys[0]) && (s.orgKey == "" || s.orgKey == orgKeys[0])
	switch {
	case s.geoip2 && !standardAS:
		s.geoip2 = false // a GeoIP2-style country with unusual AS keys
	case !s.country && s.asn && standardAS:
		s.geoip2 = true // a GeoLite2-ASN style file
	case !s.country && !s.asn && maxmindType && !strings.Contains(dbType, "asn"):
		s.geoip2, s.country = true, true // a MaxMind City/Country file whose sample lacked countries
	}
	if !s.country && !s.asn {
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		return s, fmt.Errorf("unknown record layout (database_type %q, keys %v): want country.iso_code, country_code or autonomous_system_number", mr.Metadata.DatabaseType, names)
	}
	return s, nil
}

// record is a reusable decode target.
type record interface {
	reset()
	geo() Geo
}

func (s schema) newRecord() record {
	if s.geoip2 {
		return &geoip2Record{}
	}
	return &flatRecord{asnString: s.asnString}
}

type isoCode struct {
	ISOCode string `maxminddb:"iso_code"`
}

// geoip2Record covers GeoIP2/GeoLite2 City, Country and ASN records.
type geoip2Record struct {
	Country           isoCode `maxminddb:"country"`
	RegisteredCountry isoCode `maxminddb:"registered_country"`
	ASN               uint32  `maxminddb:"autonomous_system_number"`
	ASOrg             string  `maxminddb:"autonomous_system_organization"`
}

func (r *geoip2Record) reset() { *r = geoip2Record{} }

func (r *geoip2Record) geo() Geo {
	c := r.Country.ISOCode
	if c == "" {
		c = r.RegisteredCountry.ISOCode
	}
	return Geo{Country: c, ASN: r.ASN, ASOrg: r.ASOrg}
}

// flatRecord covers ip-location-db's flat layout and its AS-key variants.
// The "asn" key is decoded through asnValue because some publishers write
// it as a number and others as "AS13335".
type flatRecord struct {
	asnString   bool
	CountryCode string   `maxminddb:"country_code"`
	Country     string   `maxminddb:"country"`
	ASN         uint32   `maxminddb:"autonomous_system_number"`
	ASNumber    uint32   `maxminddb:"as_number"`
	ASNAny      asnValue `maxminddb:"asn"`
	Org         string   `maxminddb:"autonomous_system_organization"`
	Organisaton string   `maxminddb:"as_organisation"`
	Organizaton string   `maxminddb:"as_organization"`
	ASName      string   `maxminddb:"as_name"`
	ASOrg       string   `maxminddb:"as_org"`
}

func (r *flatRecord) reset() { *r = flatRecord{asnString: r.asnString} }

func (r *flatRecord) geo() Geo {
	g := Geo{Country: r.CountryCode, ASN: r.ASN}
	if g.Country == "" && len(r.Country) == 2 {
		g.Country = r.Country
	}
	if g.ASN == 0 {
		g.ASN = r.ASNumber
	}
	if g.ASN == 0 {
		g.ASN = uint32(r.ASNAny)
	}
	for _, o := range []string{r.Org, r.Organisaton, r.Organizaton, r.ASName, r.ASOrg} {
		if o != "" {
			g.ASOrg = o
			break
		}
	}
	return g
}

// asnValue decodes an AS number written as an unsigned integer or as a
// string ("AS13335" or "13335").
type asnValue uint32

// UnmarshalMaxMindDB implements mmdbdata.Unmarshaler (supported throughout
// maxminddb v2).
func (v *asnValue) UnmarshalMaxMindDB(d *mmdbdata.Decoder) error {
	k, err := d.PeekKind()
	if err != nil {
		return err
	}
	var n uint64
	switch k {
	case mmdbdata.KindString:
		s, err := d.ReadString()
		if err != nil {
			return err
		}
		*v = asnValue(parseASN(s))
		return nil
	case mmdbdata.KindUint16:
		x, err := d.ReadUint16()
		n = uint64(x)
		if err != nil {
			return err
		}
	case mmdbdata.KindUint32:
		x, err := d.ReadUint32()
		n = uint64(x)
		if err != nil {
			return err
		}
	case mmdbdata.KindUint64:
		x, err := d.ReadUint64()
		n = x
		if err != nil {
			return err
		}
	case mmdbdata.KindInt32:
		x, err := d.ReadInt32()
		if err != nil {
			return err
		}
		if x > 0 {
			n = uint64(x)
		}
	default:
		return d.SkipValue()
	}
	if n <= 1<<32-1 {
		*v = asnValue(n)
	}
	return nil
}

// parseASN parses "AS13335", "as13335" or "13335"; anything else is 0.
func parseASN(s string) uint32 {
	if len(s) > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's') {
		s = s[2:]
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}
