package hosts

import (
	"bufio"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/nethunt/nethunt/internal/decode"
)

// corpusDir holds real Suricata EVE files (several Suricata versions and
// converters); the test is skipped where the corpus is not installed.
const corpusDir = "../../../shared/data/corpus/eve"

// TestCorpus builds host cards from the real EVE files and checks them
// against an oracle computed independently from the raw JSON with
// encoding/json: who answered DNS, DHCP, SMTP and SSH, which names DNS
// answers gave to addresses, which User-Agents clients sent, how many
// alerts each address was in.
func TestCorpus(t *testing.T) {
	var files []string
	filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Skip("corpus not found at " + corpusDir)
	}
	sort.Strings(files)

	tb := New(Options{})
	type raw = map[string]any
	var lines []raw
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			if ev, err := decode.Decode(sc.Bytes()); err == nil {
				tb.Observe(ev)
			}
			var m raw
			if json.Unmarshal(sc.Bytes(), &m) == nil && m["timestamp"] != nil && m["event_type"] != nil {
				lines = append(lines, m)
			}
		}
		fh.Close()
	}
	if tb.Len() == 0 || len(lines) < 500 {
		t.Fatalf("corpus too small: %d hosts from %d events", tb.Len(), len(lines))
	}

	// The oracle.
	str := func(m raw, k string) string { s, _ := m[k].(string); return s }
	num := func(m raw, k string) int { f, _ := m[k].(float64); return int(f) }
	obj := func(m raw, k string) raw { o, _ := m[k].(raw); return o }
	// Hosts are unicast addresses: broadcast, multicast and 0.0.0.0 have
	// no card (documented).
	addr := func(s string) (netip.Addr, bool) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = a.Unmap()
		if a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return netip.Addr{}, false
		}
		return a, true
	}
	wantRole := map[netip.Addr]map[string]bool{}
	need := func(s, role string) {
		if a, ok := addr(s); ok {
			if wantRole[a] == nil {
				wantRole[a] = map[string]bool{}
			}
			wantRole[a][role] = true
		}
	}
	seen := map[netip.Addr]bool{}
	alerts := map[netip.Addr]int{}
	names := map[netip.Addr][]string{}
	agents := map[netip.Addr][]string{}
	kdc := map[netip.Addr]bool{}
	dirOrLDAP := map[netip.Addr]bool{}
	for _, m := range lines {
		src, dst := str(m, "src_ip"), str(m, "dest_ip")
		for _, s := range []string{src, dst} {
			if a, ok := addr(s); ok {
				seen[a] = true
			}
		}
		switch str(m, "event_type") {
		case "dns":
			d := obj(m, "dns")
			typ := str(d, "type")
			if typ != "answer" && typ != "response" {
				continue
			}
			switch {
			case num(m, "src_port") == 53 && num(m, "dest_port") != 53:
				need(src, RoleDNSServer)
			case num(m, "dest_port") == 53 && num(m, "src_port") != 53:
				need(dst, RoleDNSServer)
			}
			var answers []raw
			if as, ok := d["answers"].([]any); ok {
				for _, x := range as {
					if o, ok := x.(raw); ok {
						answers = append(answers, o)
					}
				}
			} else if str(d, "rdata") != "" {
				answers = append(answers, d)
			}
			for _, an := range answers {
				if t := str(an, "rrtype"); t == "A" || t == "AAAA" {
					if a, ok := addr(str(an, "rdata")); ok {
						names[a] = append(names[a], strings.ToLower(strings.TrimSuffix(str(an, "rrname"), ".")))
					}
				}
			}
		case "dhcp":
			if str(obj(m, "dhcp"), "type") == "reply" {
				need(src, RoleDHCPServer)
			}
		case "smtp":
			need(dst, RoleMailServer)
		case "ssh":
			if obj(obj(m, "ssh"), "server") != nil {
				need(dst, RoleSSHServer)
			}
		case "krb5":
			if a, ok := addr(dst); ok && num(m, "dest_port") == 88 {
				kdc[a] = true
			}
		case "smb":
			if a, ok := addr(dst); ok {
				dirOrLDAP[a] = true
			}
		case "http":
			if ua := str(obj(m, "http"), "http_user_agent"); ua != "" {
				if a, ok := addr(src); ok {
					agents[a] = append(agents[a], ua)
				}
			}
		case "alert":
			a1, ok1 := addr(src)
			a2, ok2 := addr(dst)
			if ok1 {
				alerts[a1]++
			}
			if ok2 && a2 != a1 {
				alerts[a2]++
			}
		}
	}
	if len(wantRole) < 5 || len(names) == 0 || len(agents) == 0 || len(alerts) < 50 {
		t.Fatalf("oracle too thin: %d role hosts, %d named, %d with agents, %d with alerts", len(wantRole), len(names), len(agents), len(alerts))
	}

	// Every address in the events has a card.
	for a := range seen {
		if _, ok := tb.Get(a); !ok {
			t.Errorf("no card for %s", a)
		}
	}
	checked := 0
	for a, roles := range wantRole {
		c, ok := tb.Get(a)
		if !ok {
			t.Errorf("no card for %s", a)
			continue
		}
		for r := range roles {
			rl := role(c, r)
			if rl == nil {
				t.Errorf("%s should have role %q (from the raw events); has %+v", a, r, c.Roles)
				continue
			}
			checked++
			if len(rl.Evidence) == 0 || rl.Evidence[0].Count == 0 || rl.FirstSeen.IsZero() {
				t.Errorf("%s %s: no evidence: %+v", a, r, rl)
			}
		}
	}
	// A KDC alone (no SMB / LDAP seen) is not called a domain controller.
	for a := range kdc {
		c, _ := tb.Get(a)
		if !dirOrLDAP[a] && role(c, RoleDomainController) != nil {
			t.Errorf("%s: domain controller from Kerberos alone", a)
		}
		if !slices.Contains(c.Other.EvidenceKinds, evInfos[evKrb5].name) {
			t.Errorf("%s answered Kerberos but has no krb5 evidence: %v", a, c.Other.EvidenceKinds)
		}
	}
	// Names from DNS answers, for addresses that are hosts.
	for a, ns := range names {
		if !seen[a] {
			continue
		}
		c, _ := tb.Get(a)
		for _, n := range ns {
			if !slices.ContainsFunc(c.Names.Hostnames.Values, func(v Value) bool { return v.Value == n }) {
				t.Errorf("%s: DNS answered %q for it, hostnames %+v", a, n, c.Names.Hostnames.Values)
			}
		}
		checked++
	}
	for a, uas := range agents {
		c, _ := tb.Get(a)
		for _, ua := range uas {
			if !slices.ContainsFunc(c.Fingerprints.UserAgents.Values, func(v Value) bool { return v.Value == clip(ua) }) {
				t.Errorf("%s: User-Agent %q missing", a, ua)
			}
		}
		checked++
	}
	for a, n := range alerts {
		c, _ := tb.Get(a)
		if c.Alerts.Total != int64(n) {
			t.Errorf("%s: %d alerts, oracle %d", a, c.Alerts.Total, n)
		}
		checked++
	}
	t.Logf("%d events, %d hosts, %d oracle checks", len(lines), tb.Len(), checked)
}

// TestDocsListFields keeps docs/host-insights.md in step with the field
// registry: every host.* field and every role is documented.
func TestDocsListFields(t *testing.T) {
	b, err := os.ReadFile("../../docs/host-insights.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, f := range Fields() {
		if !strings.Contains(doc, "`"+f.Name+"`") {
			t.Errorf("docs/host-insights.md does not document %s", f.Name)
		}
	}
	for _, r := range RoleNames() {
		if !strings.Contains(doc, "| `"+r+"`") {
			t.Errorf("docs/host-insights.md has no rule row for role %q", r)
		}
	}
}
