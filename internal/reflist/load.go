package reflist

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/gaissmai/bart"
)

type builder struct {
	cdn       map[string][]netip.Prefix
	cdnSuffix suffixSet
	tunnels   suffixSet
	dyndns    suffixSet
	torNames  suffixSet
	freeCA    []caRule
	ports     map[uint16]string
	ranges    []portRange
	tor       *bart.Lite
	torCount  int
	torSource string
	problems  []string
}

func newBuilder() *builder {
	return &builder{
		cdn:       map[string][]netip.Prefix{},
		cdnSuffix: suffixSet{}, tunnels: suffixSet{}, dyndns: suffixSet{}, torNames: suffixSet{},
		ports: map[uint16]string{},
	}
}

// toBuilder copies the built-in state so that Load never mutates Default().
func (l *Lists) toBuilder() *builder {
	b := newBuilder()
	for pfx, provider := range l.cdnNets.All() {
		b.cdn[provider] = append(b.cdn[provider], pfx)
	}
	for k, v := range l.cdnSuffix {
		b.cdnSuffix[k] = v
	}
	for k, v := range l.tunnels {
		b.tunnels[k] = v
	}
	for k, v := range l.dyndns {
		b.dyndns[k] = v
	}
	for k, v := range l.torNames {
		b.torNames[k] = v
	}
	b.freeCA = append([]caRule(nil), l.freeCA...)
	for k, v := range l.ports {
		b.ports[k] = v
	}
	b.ranges = append([]portRange(nil), l.portRanges...)
	b.tor, b.torCount = l.tor, l.torCount
	if l.torSource != defaultTorSource {
		b.torSource = l.torSource
	}
	return b
}

// Load returns the built-in lists overridden and extended by the files in
// dir ("" returns Default()). Files that are absent keep the built-in
// entries. Recognised files:
//
//	cdn/<provider>.txt   CIDRs, one per line; replaces the built-in ranges
//	                     of <provider> (an empty file removes them)
//	cdn-suffixes.txt     "<suffix> <provider>"
//	tunnels.txt          "<suffix> <service>"
//	dyndns.txt           "<suffix> [<provider>]"
//	tor-names.txt        "<suffix> [<label>]" (Tor2web gateways)
//	free-ca.txt          "<label> <ATTR>=<value>[, <ATTR>=<value>...]"
//	proxy-ports.txt      "<port> <label>" or "<low>-<high> <label>"
//	tor-relays.txt       Tor relay addresses (formats: ParseTorRelays)
//
// In every file '#' starts a comment and a line "-<key>" removes a built-in
// entry (a suffix, a port or range, or all rules of a free-CA label).
// Malformed lines are errors reported as "file:line: problem".
func Load(dir string) (*Lists, error) {
	if dir == "" {
		return Default(), nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("reflists_dir: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("reflists_dir: %s is not a directory", dir)
	}
	b := Default().toBuilder()
	if err := b.loadFS(os.DirFS(dir), dir+string(os.PathSeparator)); err != nil {
		return nil, err
	}
	return b.build(), nil
}

// loadFS applies every recognised file of fsys; prefix is prepended to file
// names in messages.
func (b *builder) loadFS(fsys fs.FS, prefix string) error {
	if ents, err := fs.ReadDir(fsys, FileCDNDir); err == nil {
		for _, e := range ents {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".txt") {
				continue
			}
			provider := strings.TrimSuffix(e.Name(), ".txt")
			name := path.Join(FileCDNDir, e.Name())
			var pfxs []netip.Prefix
			b.eachLine(fsys, name, prefix, func(line string, where string) {
				p, err := parsePrefix(line)
				if err != nil {
					b.problems = append(b.problems, where+": "+err.Error())
					return
				}
				pfxs = append(pfxs, p)
			})
			b.cdn[provider] = pfxs
		}
	}
	b.suffixFile(fsys, FileCDNSuffixes, prefix, b.cdnSuffix, true)
	b.suffixFile(fsys, FileTunnels, prefix, b.tunnels, true)
	b.suffixFile(fsys, FileDynDNS, prefix, b.dyndns, false)
	b.suffixFile(fsys, FileTorNames, prefix, b.torNames, false)

	var userRules []caRule
	b.eachLine(fsys, FileFreeCA, prefix, func(line, where string) {
		if strings.HasPrefix(line, "-") {
			label := strings.TrimSpace(line[1:])
			kept := b.freeCA[:0]
			for _, r := range b.freeCA {
				if r.label != label {
					kept = append(kept, r)
				}
			}
			b.freeCA = kept
			return
		}
		label, rest, ok := cut(line)
		if !ok {
			b.problems = append(b.problems, where+": want \"<label> <ATTR>=<value>[, ...]\"")
			return
		}
		r := caRule{label: label}
		for a, v := range DN(rest) {
			r.attrs = append(r.attrs, attrValue{a, v})
		}
		if len(r.attrs) == 0 {
			b.problems = append(b.problems, where+": no ATTR=value in "+strconv.Quote(rest))
			return
		}
		userRules = append(userRules, r)
	})
	// User rules are consulted first so that they can relabel an issuer.
	if prefix == "builtin/" {
		b.freeCA = append(b.freeCA, userRules...)
	} else {
		b.freeCA = append(userRules, b.freeCA...)
	}

	b.eachLine(fsys, FileProxyPorts, prefix, func(line, where string) {
		del := strings.HasPrefix(line, "-")
		if del {
			line = strings.TrimSpace(line[1:])
		}
		key, label, _ := cut(line)
		lo, hi, err := parsePorts(key)
		if err != nil {
			b.problems = append(b.problems, where+": "+err.Error())
			return
		}
		if !del && label == "" {
			b.problems = append(b.problems, where+": missing label")
			return
		}
		if lo == hi {
			if del {
				delete(b.ports, lo)
			} else {
				b.ports[lo] = label
			}
			return
		}
		kept := b.ranges[:0]
		for _, r := range b.ranges {
			if r.lo != lo || r.hi != hi {
				kept = append(kept, r)
			}
		}
		b.ranges = kept
		if !del {
			b.ranges = append(b.ranges, portRange{lo, hi, label})
		}
	})

	if data, err := fs.ReadFile(fsys, FileTorRelays); err == nil {
		set, n, _ := parseTor(data)
		b.tor, b.torCount, b.torSource = set, n, prefix+FileTorRelays
	} else if !errors.Is(err, fs.ErrNotExist) {
		b.problems = append(b.problems, prefix+FileTorRelays+": "+err.Error())
	}

	if len(b.problems) > 0 {
		const max = 20
		var errs []error
		for i, p := range b.problems {
			if i == max {
				errs = append(errs, fmt.Errorf("... and %d more", len(b.problems)-max))
				break
			}
			errs = append(errs, errors.New(p))
		}
		return errors.Join(errs...)
	}
	return nil
}

func (b *builder) suffixFile(fsys fs.FS, name, prefix string, set suffixSet, needLabel bool) {
	b.eachLine(fsys, name, prefix, func(line, where string) {
		if strings.HasPrefix(line, "-") {
			if s, ok := normSuffix(line[1:]); ok {
				delete(set, s)
			} else {
				b.problems = append(b.problems, where+": bad domain suffix "+strconv.Quote(line[1:]))
			}
			return
		}
		key, label, _ := cut(line)
		s, ok := normSuffix(key)
		if !ok {
			b.problems = append(b.problems, where+": bad domain suffix "+strconv.Quote(key))
			return
		}
		if label == "" {
			if needLabel {
				b.problems = append(b.problems, where+": missing label after "+strconv.Quote(key))
				return
			}
			label = s
		}
		set[s] = label
	})
}

// eachLine calls fn for every non-empty, comment-stripped line of name; a
// missing file is not an error.
func (b *builder) eachLine(fsys fs.FS, name, prefix string, fn func(line, where string)) {
	f, err := fsys.Open(name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			b.problems = append(b.problems, prefix+name+": "+err.Error())
		}
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := stripComment(sc.Text())
		if line == "" {
			continue
		}
		fn(line, fmt.Sprintf("%s%s:%d", prefix, name, n))
	}
	if err := sc.Err(); err != nil {
		b.problems = append(b.problems, fmt.Sprintf("%s%s:%d: %v", prefix, name, n+1, err))
	}
}

func stripComment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// cut splits "key rest of line" at the first run of blanks.
func cut(line string) (key, rest string, ok bool) {
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return line, "", false
	}
	return line[:i], strings.TrimSpace(line[i+1:]), true
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("bad CIDR %q", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("bad CIDR %q", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func parsePorts(s string) (lo, hi uint16, err error) {
	a, bs, isRange := strings.Cut(s, "-")
	l, err1 := strconv.ParseUint(a, 10, 16)
	h := l
	var err2 error
	if isRange {
		h, err2 = strconv.ParseUint(bs, 10, 16)
	}
	if err1 != nil || err2 != nil || l == 0 || h < l {
		return 0, 0, fmt.Errorf("bad port or range %q", s)
	}
	return uint16(l), uint16(h), nil
}

func readTorFile(name string) (*bart.Lite, int, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, 0, fmt.Errorf("tor_relays: %w", err)
	}
	set, n, err := parseTor(data)
	if err != nil {
		return nil, 0, fmt.Errorf("tor_relays: %s: %w", name, err)
	}
	return set, n, nil
}

// ParseTorRelays reads Tor relay addresses from any of the formats the Tor
// project publishes, detected line by line:
//
//   - the bulk exit list (check.torproject.org/torbulkexitlist) or any plain
//     list of IPs, CIDRs or ip:port, one per line, '#' comments;
//   - TorDNSEL exit-addresses ("ExitAddress 1.2.3.4 2024-01-01 00:00:00");
//   - consensus / microdescriptor consensus ("r <nick> ... <IP> <ORPort>
//     <DirPort>", "a [v6]:port");
//   - server descriptors ("router <nick> <IP> ...", "or-address ...");
//   - an Onionoo details document (JSON with or_addresses / exit_addresses).
//
// Lines in none of these shapes are skipped. Single addresses are returned
// as /32 or /128 prefixes.
func ParseTorRelays(r io.Reader) ([]netip.Prefix, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	err = eachTorAddr(data, func(p netip.Prefix) { out = append(out, p) })
	return out, err
}

func parseTor(data []byte) (*bart.Lite, int, error) {
	set := new(bart.Lite)
	n := 0
	err := eachTorAddr(data, func(p netip.Prefix) {
		if !set.Get(p) {
			set.Insert(p)
			n++
		}
	})
	return set, n, err
}

func eachTorAddr(data []byte, fn func(netip.Prefix)) error {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		var doc struct {
			Relays []struct {
				OrAddresses   []string `json:"or_addresses"`
				ExitAddresses []string `json:"exit_addresses"`
			} `json:"relays"`
		}
		if err := json.Unmarshal(t, &doc); err != nil {
			return fmt.Errorf("onionoo JSON: %w", err)
		}
		for _, r := range doc.Relays {
			for _, s := range append(r.OrAddresses, r.ExitAddresses...) {
				if a, ok := parseAddrLoose(s); ok {
					fn(single(a))
				}
			}
		}
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := stripComment(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		switch f[0] {
		case "ExitAddress":
			if len(f) > 1 {
				if a, ok := parseAddrLoose(f[1]); ok {
					fn(single(a))
				}
			}
			continue
		case "r":
			// r nick identity [digest] date time IP ORPort DirPort
			for _, x := range f[2:] {
				if a, err := netip.ParseAddr(x); err == nil {
					fn(single(a.Unmap()))
					break
				}
			}
			continue
		case "a", "or-address":
			if len(f) > 1 {
				if a, ok := parseAddrLoose(f[1]); ok {
					fn(single(a))
				}
			}
			continue
		case "router":
			if len(f) > 2 {
				if a, ok := parseAddrLoose(f[2]); ok {
					fn(single(a))
				}
			}
			continue
		}
		if a, ok := parseAddrLoose(f[0]); ok {
			fn(single(a))
		} else if p, err := netip.ParsePrefix(f[0]); err == nil {
			fn(p.Masked())
		}
	}
	return sc.Err()
}

func single(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }

// parseAddrLoose accepts "1.2.3.4", "1.2.3.4:9001", "[2001:db8::1]:9001",
// "2001:db8::1" and "1.2.3.4/32".
func parseAddrLoose(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if p, err := netip.ParsePrefix(s); err == nil && p.IsSingleIP() {
		return p.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}
