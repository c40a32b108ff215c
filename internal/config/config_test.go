package config

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	c, err := Parse([]byte(`
store: {path: /tmp/x.db, retention: 30d}
network_groups:
  - {name: Users, cidr: 10.10.0.0/16}
approved_proxies: ["10.20.0.10:3128", "10.20.0.11"]
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Store.Retention) != 30*24*time.Hour || c.Store.Path != "/tmp/x.db" || len(c.NetworkGroups) != 1 {
		t.Errorf("%+v", c)
	}
	if c.Ingest.BatchSize == 0 || len(c.HomeNets) == 0 || !*c.Store.KeepRaw {
		t.Error("defaults not applied")
	}
	if _, err := Parse(nil, "empty"); err != nil {
		t.Errorf("empty config: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"stroe: {}": "stroe",
		"network_groups: [{name: A, cidr: 10/8}]": "not a CIDR",
		"approved_proxies: [proxy.corp]":          "neither an IP",
		"store: {retention: soon}":                "bad duration",
	} {
		_, err := Parse([]byte(in), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
}

func TestStorePathBesideConfig(t *testing.T) {
	c, err := Parse([]byte("home_nets: [10.0.0.0/8]\n"), "/etc/nethunt/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.Path != "/etc/nethunt/nethunt.db" || c.Ingest.Rejects != "/etc/nethunt/nethunt.db.rejects.jsonl" {
		t.Fatalf("store %q rejects %q", c.Store.Path, c.Ingest.Rejects)
	}
	c, _ = Parse([]byte("store:\n  path: /var/lib/nethunt/x.db\n"), "/etc/nethunt/site.yaml")
	if c.Store.Path != "/var/lib/nethunt/x.db" {
		t.Fatalf("absolute path changed: %q", c.Store.Path)
	}
}
