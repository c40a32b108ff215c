package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nethunt/nethunt/internal/hosts"
	"github.com/nethunt/nethunt/internal/sim"
)

// TestHostRolesOnSimulator checks the Host Insights roles the issue asks
// for against the simulator's own description of the organisation (not
// against nethunt's output): proxies, servers and the benign look-alike.
func TestHostRolesOnSimulator(t *testing.T) {
	dir := t.TempDir()
	eve, cfg := filepath.Join(dir, "eve.json"), filepath.Join(dir, "nethunt.yaml")
	c := sim.Config{Seed: 7, Hosts: 120, Hours: 6}
	mustRun(t, "simulate", "--seed", "7", "--hosts", "120", "--hours", "6", "-o", eve, "--config-out", cfg)
	db := filepath.Join(dir, "x.db")
	mustRun(t, "--config", cfg, "--db", db, "ingest", "--quiet", eve)

	roles := map[string][]string{}
	approved := map[string]bool{}
	out := mustRun(t, "--config", cfg, "--db", db, "hosts", "host.roles:*", "--limit", "0", "--format", "json")
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var s struct {
			IP       string
			Roles    []string
			Approved bool
		}
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		roles[s.IP], approved[s.IP] = s.Roles, s.Approved
	}
	org := c.Org()
	ip := func(s string) string { return strings.Split(s, ":")[0] }
	want := func(role string, hosts []string) {
		t.Helper()
		if len(hosts) == 0 {
			t.Fatalf("simulator org has no %s", role)
		}
		for _, h := range hosts {
			if !slices.Contains(roles[ip(h)], role) {
				t.Errorf("%s should have role %q, has %v", h, role, roles[ip(h)])
			}
		}
	}
	want(hosts.RoleHTTPProxy, org.ApprovedProxies)
	want(hosts.RoleHTTPProxy, org.ReverseProxies)
	want(hosts.RoleDNSServer, org.DNSServers)
	want(hosts.RoleDHCPServer, org.DHCPServers)
	want(hosts.RoleDomainController, org.DomainControllers)
	// Printers get the role from print jobs; at night some only see SNMP
	// polls. Expect it for those the raw data shows printing to.
	var printing []string
	for _, p := range org.Printers {
		if oracle(t, eve, func(m map[string]any) bool {
			port, _ := m["dest_port"].(float64)
			return m["dest_ip"] == ip(p) && m["event_type"] == "flow" && (port == 9100 || port == 631 || port == 515)
		}) > 0 {
			printing = append(printing, p)
		}
	}
	want(hosts.RolePrinter, printing)
	for _, p := range org.ApprovedProxies {
		if !approved[ip(p)] {
			t.Errorf("approved proxy %s not marked approved", p)
		}
	}

	// From the ground truth: the planted internal rogue proxy has the role
	// and is not approved; the developer workstation serving plain GETs on
	// 8080 is not a proxy.
	truth := filepath.Join(dir, "truth.json")
	mustRun(t, "simulate", "--seed", "7", "--hosts", "120", "--hours", "6", "-o", os.DevNull, "--truth", truth)
	b, err := os.ReadFile(truth)
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		Cases []struct {
			Kind  string
			Hosts map[string]any
		}
	}
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	var rogue, dev string
	for _, cs := range tr.Cases {
		switch cs.Kind {
		case "internal_rogue_http_proxy":
			rogue, _ = cs.Hosts["proxy"].(string)
		case "dev_web_server":
			dev, _ = cs.Hosts["server"].(string)
		}
	}
	if rogue == "" || dev == "" {
		t.Fatalf("truth lacks the rogue proxy or the dev server: %s", b[:min(len(b), 300)])
	}
	if !slices.Contains(roles[ip(rogue)], "http proxy") || approved[ip(rogue)] {
		t.Errorf("rogue proxy %s: roles %v approved %v", rogue, roles[ip(rogue)], approved[ip(rogue)])
	}
	if slices.Contains(roles[ip(dev)], "http proxy") {
		t.Errorf("dev web server %s must not be a proxy: %v", dev, roles[ip(dev)])
	}
	// The hunt the issue names: unapproved HTTP proxies.
	out = mustRun(t, "--config", cfg, "--db", db, "hosts", `host.roles:"http proxy" AND NOT host.approved:true`, "--format", "json", "--limit", "0")
	if !strings.Contains(out, `"ip":"`+ip(rogue)+`"`) {
		t.Errorf("unapproved-proxy hunt misses %s:\n%s", rogue, out)
	}
	for _, p := range org.ApprovedProxies {
		if strings.Contains(out, `"ip":"`+ip(p)+`"`) {
			t.Errorf("unapproved-proxy hunt lists approved %s", p)
		}
	}
	// A host card answers with evidence for the proxy role.
	card := mustRun(t, "--config", cfg, "--db", db, "host", ip(rogue), "--format", "json")
	if !strings.Contains(card, `"name": "http proxy"`) || !strings.Contains(card, `"why"`) {
		t.Errorf("card of %s lacks the proxy role's evidence:\n%.2000s", rogue, card)
	}
}

// TestHostFiltersInHunts: --dest-hosts turns a Host Insights query into the
// addresses of an event hunt; the count must equal the hunt written with
// those addresses by hand.
func TestHostFiltersInHunts(t *testing.T) {
	dir := t.TempDir()
	eve, cfg := filepath.Join(dir, "eve.json"), filepath.Join(dir, "nethunt.yaml")
	mustRun(t, "simulate", "--seed", "7", "--hosts", "80", "--hours", "4", "-o", eve, "--config-out", cfg)
	db := filepath.Join(dir, "x.db")
	mustRun(t, "--config", cfg, "--db", db, "ingest", "--quiet", eve)
	org := sim.Config{Seed: 7, Hosts: 80, Hours: 4}.Org()
	var ips []string
	for _, p := range org.ApprovedProxies {
		ips = append(ips, strings.Split(p, ":")[0])
	}
	byHand := mustRun(t, "--config", cfg, "--db", db, "count", "dest_ip:("+strings.Join(ips, " OR ")+")")
	viaHosts := mustRun(t, "--config", cfg, "--db", db, "count", "", "--dest-hosts", "host.approved:true")
	if byHand != viaHosts || strings.TrimSpace(byHand) == "0" {
		t.Fatalf("approved proxies by hand %s, via --dest-hosts %s", byHand, viaHosts)
	}
	if _, errs, code := run(t, "--config", cfg, "--db", db, "count", "", "--dest-hosts", "host.nosuchfield:1"); code == 0 || !strings.Contains(errs, "--dest-hosts") {
		t.Fatalf("bad host query: exit %d, %s", code, errs)
	}
}

// TestHostAnswersFromSnapshotOnlyWhenCurrent: a cold `nethunt host IP`
// reads the Host Insights snapshot without opening the database only when
// the store's sequence marker proves the snapshot current; a stale
// snapshot (here: an older copy put back, as after a crash between a
// commit and the next snapshot) is caught up from the store instead.
func TestHostAnswersFromSnapshotOnlyWhenCurrent(t *testing.T) {
	dir := t.TempDir()
	eve, cfg := filepath.Join(dir, "eve.json"), filepath.Join(dir, "nethunt.yaml")
	mustRun(t, "simulate", "--seed", "3", "--hosts", "40", "--hours", "2", "-o", eve, "--config-out", cfg)
	data, err := os.ReadFile(eve)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	first, second := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	os.WriteFile(first, []byte(strings.Join(lines[:len(lines)/2], "")), 0o644)
	os.WriteFile(second, []byte(strings.Join(lines[len(lines)/2:], "")), 0o644)
	db := filepath.Join(dir, "x.db")
	g := []string{"--config", cfg, "--db", db}
	snap := filepath.Join(db+".state", "hosts.snap")
	const ip = "10.20.0.10" // the simulated approved proxy: busy all day

	mustRun(t, append(g, "ingest", "--quiet", first)...)
	early := mustRun(t, append(g, "host", ip, "--format", "json")...)
	old, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, append(g, "ingest", "--quiet", second)...)
	full := mustRun(t, append(g, "host", ip, "--format", "json")...)
	if full == early {
		t.Fatal("the second half changed nothing on the host: the test proves nothing")
	}
	// The long way (no marker: the database is opened) agrees.
	marker, err := os.ReadFile(db + ".seq")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(db + ".seq")
	if got := mustRun(t, append(g, "host", ip, "--format", "json")...); got != full {
		t.Fatalf("card without the marker differs from the one read from the snapshot")
	}
	os.WriteFile(db+".seq", marker, 0o644)
	// A stale snapshot is not trusted.
	if err := os.WriteFile(snap, old, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, append(g, "host", ip, "--format", "json")...); got != full {
		t.Errorf("with a stale snapshot the card is not caught up:\n%.400s\nwant\n%.400s", got, full)
	}
	if st := mustRun(t, append(g, "stats")...); !regexp.MustCompile(`host insights +batch \d+, \d+ behind`).MatchString(st) {
		t.Errorf("stats does not show the stale snapshot:\n%s", st)
	}
	if got := mustRun(t, append(g, "hosts", "host.ip:"+ip, "--format", "json")...); !strings.Contains(got, ip) {
		t.Errorf("hosts with a stale snapshot: %s", got)
	}
	// A rebuild from the stored events gives the same card (events are
	// enriched again: the network group is back).
	mustRun(t, append(g, "hosts", "rebuild")...)
	if st := mustRun(t, append(g, "stats")...); !regexp.MustCompile(`host insights +batch \d+, current`).MatchString(st) || !regexp.MustCompile(`host query columns +batch \d+, current`).MatchString(st) {
		t.Errorf("stats after rebuild:\n%s", st)
	}
	if got := mustRun(t, append(g, "host", ip, "--format", "json")...); got != full {
		t.Errorf("card after hosts rebuild differs:\n%.600s\nwant\n%.600s", got, full)
	}
	// Host queries answered from the query columns (written by the ingest
	// and by rebuild) equal those answered from the full profiles.
	rows := filepath.Join(db+".state", "hosts.rows")
	if _, err := os.Stat(rows); err != nil {
		t.Fatalf("no query rows after rebuild: %v", err)
	}
	for _, q := range []string{`host.roles:*`, `host.roles:"http proxy" AND NOT host.approved:true`, `host.internal:true AND host.services.port:*`,
		`NOT host.groups:Users`, `host.ip:10.0.0.0/8 AND host.tls.ja4:*`, `host.clients:>3`} {
		for _, limit := range []string{"0", "5"} {
			args := append(g, "hosts", q, "--limit", limit, "--format", "json")
			fast := mustRun(t, args...)
			if _, errs, _ := run(t, append(g, "hosts", q, "--limit", limit)...); !strings.Contains(errs, "from the query columns") {
				t.Fatalf("%s: not answered from the query columns: %s", q, errs)
			}
			saved, _ := os.ReadFile(rows)
			os.Remove(rows)
			slow := mustRun(t, args...)
			os.WriteFile(rows, saved, 0o644)
			if fast != slow {
				t.Errorf("%s --limit %s: query columns and profiles disagree:\n%.500s\nvs\n%.500s", q, limit, fast, slow)
			}
			if fast == "" && limit == "0" && q == `host.roles:*` {
				t.Errorf("no host has a role")
			}
		}
	}
	// An unknown address, with a current snapshot, is answered as absent.
	if _, errs, code := run(t, append(g, "host", "192.0.2.99")...); code != 1 || !strings.Contains(errs, "no profile") {
		t.Errorf("unknown host: exit %d, %s", code, errs)
	}
}
