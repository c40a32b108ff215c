// Package config loads nethunt's one YAML configuration file. Every setting
// has a default, so `nethunt demo` and `nethunt ingest` work without one.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration file.
type Config struct {
	Store           Store      `yaml:"store"`
	Ingest          Ingest     `yaml:"ingest"`
	HomeNets        []string   `yaml:"home_nets"`
	NetworkGroups   []NetGroup `yaml:"network_groups"`
	ApprovedProxies []string   `yaml:"approved_proxies"`
	Sightings       Sightings  `yaml:"sightings"`

	// Allow and Deny list addresses, CIDRs and domains (a domain covers its
	// subdomains) for the detectors: allowed destinations are never
	// reported, denied ones make any finding touching them escalate.
	Allow []string `yaml:"allow"`
	Deny  []string `yaml:"deny"`

	GeoIP       GeoIP         `yaml:"geoip"`
	Intel       []IntelSource `yaml:"intel"`
	IntelPoll   Duration      `yaml:"intel_poll"`
	ReflistsDir string        `yaml:"reflists_dir"` // overrides/extends the built-in reference lists
	TorRelays   string        `yaml:"tor_relays"`   // file of Tor relay addresses
}

// GeoIP names MaxMind-format databases (docs/enrichment.md).
type GeoIP struct {
	City  string `yaml:"city"` // City or Country database
	ASN   string `yaml:"asn"`
	Cache *int   `yaml:"cache"`
}

// IntelSource is one threat-intelligence file (docs/enrichment.md).
type IntelSource struct {
	Path        string `yaml:"path"`
	Format      string `yaml:"format"` // auto, list, csv, stix, misp
	Type        string `yaml:"type"`   // force the indicator type of a list
	Name        string `yaml:"name"`
	Allow       bool   `yaml:"allow"`  // an allow-list: suppresses hits
	ToIDS       bool   `yaml:"to_ids"` // MISP: only attributes flagged to_ids
	Observables *bool  `yaml:"observables"`
}

// Sightings configures first-seen tracking (docs/sightings.md).
type Sightings struct {
	Enabled *bool `yaml:"enabled"` // default true
	// Learning: the first period of a deployment (from its first event)
	// only learns values, so a fresh install does not flood. Default 24h.
	Learning *Duration `yaml:"learning"`
	Keys     []string  `yaml:"keys"` // default: all keys
}

// Store configures the embedded database.
type Store struct {
	Path        string   `yaml:"path"`
	Retention   Duration `yaml:"retention"` // 0 keeps everything
	KeepRaw     *bool    `yaml:"keep_raw"`  // keep the original line (default true)
	MemoryLimit string   `yaml:"memory_limit"`
	Threads     int      `yaml:"threads"`
}

// Ingest tunes the pipeline.
type Ingest struct {
	BatchSize    int    `yaml:"batch_size"`
	MaxLineBytes int    `yaml:"max_line_bytes"`
	Rejects      string `yaml:"rejects"` // file where rejected lines are kept aside
}

// NetGroup names a network, e.g. {name: Users, cidr: 10.10.0.0/16}.
type NetGroup struct {
	Name string `yaml:"name"`
	CIDR string `yaml:"cidr"`
}

// Default returns the configuration used when no file is given.
func Default() *Config {
	c := &Config{}
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	if c.Store.Path == "" {
		c.Store.Path = "nethunt.db"
	}
	if c.Store.MemoryLimit == "" {
		// DuckDB's own default is 80% of RAM; a bounded buffer pool keeps
		// a long ingest's memory flat (it spills to disk past it).
		c.Store.MemoryLimit = "2GB"
	}
	if c.Store.KeepRaw == nil {
		t := true
		c.Store.KeepRaw = &t
	}
	if c.Sightings.Enabled == nil {
		t := true
		c.Sightings.Enabled = &t
	}
	if c.Sightings.Learning == nil {
		d := Duration(24 * time.Hour)
		c.Sightings.Learning = &d
	}
	if c.Ingest.BatchSize <= 0 {
		c.Ingest.BatchSize = 20000
	}
	if c.Ingest.MaxLineBytes <= 0 {
		c.Ingest.MaxLineBytes = 4 << 20
	}
	if c.Ingest.Rejects == "" {
		c.Ingest.Rejects = c.Store.Path + ".rejects.jsonl"
	}
	if len(c.HomeNets) == 0 {
		c.HomeNets = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}
	}
}

// Load reads a YAML file; unknown keys are errors so typos do not silently
// fall back to defaults.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// relativeTo resolves relative file paths in the configuration against the
// directory of the configuration file, so `--config demo/nethunt.yaml`
// finds demo/nethunt.db from anywhere.
func (c *Config) relativeTo(name string) {
	dir := filepath.Dir(name)
	if name == "" || dir == "." {
		return
	}
	if c.Store.Path != "" && !filepath.IsAbs(c.Store.Path) {
		c.Store.Path = filepath.Join(dir, c.Store.Path)
	}
	if c.Ingest.Rejects != "" && !filepath.IsAbs(c.Ingest.Rejects) {
		c.Ingest.Rejects = filepath.Join(dir, c.Ingest.Rejects)
	}
}

// Parse parses YAML configuration text; name is used in error messages.
func Parse(data []byte, name string) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if c.Store.Path == "" && name != "" {
		// A configuration file without store.path keeps its store beside
		// itself, not in whatever directory the command runs from.
		c.Store.Path = "nethunt.db"
	}
	c.relativeTo(name)
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// Validate checks addresses and names so mistakes surface at start-up.
func (c *Config) Validate() error {
	for _, n := range c.HomeNets {
		if _, err := netip.ParsePrefix(n); err != nil {
			return fmt.Errorf("home_nets: %q is not a CIDR: %v", n, err)
		}
	}
	for i, g := range c.NetworkGroups {
		if strings.TrimSpace(g.Name) == "" {
			return fmt.Errorf("network_groups[%d]: name is empty", i)
		}
		if _, err := netip.ParsePrefix(g.CIDR); err != nil {
			return fmt.Errorf("network_groups[%d] (%s): %q is not a CIDR: %v", i, g.Name, g.CIDR, err)
		}
	}
	for _, p := range c.ApprovedProxies {
		if _, _, err := ParseHostPort(p); err != nil {
			return fmt.Errorf("approved_proxies: %v", err)
		}
	}
	return nil
}

// ParseHostPort parses "ip" or "ip:port" ("[v6]:port" for IPv6); port 0
// means any port.
func ParseHostPort(s string) (netip.Addr, uint16, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), ap.Port(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("%q is neither an IP nor ip:port", s)
	}
	return a, 0, nil
}

// Duration is a YAML duration that also accepts days ("30d").
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration extends time.ParseDuration with d (days) and w (weeks),
// the units analysts use for hunting windows.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	for unit, mult := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if strings.HasSuffix(s, unit) {
			n, err := strconv.ParseFloat(strings.TrimSuffix(s, unit), 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			return time.Duration(n * float64(mult)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (use e.g. 90m, 48h, 7d)", s)
	}
	return d, nil
}
