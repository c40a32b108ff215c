package detect

import (
	"fmt"
	"net/netip"
	"strings"
)

// matcher is an allow or deny list: addresses, CIDRs and domains (a
// domain covers its subdomains, on label boundaries).
type matcher struct {
	nets  []netip.Prefix
	names map[string]bool
}

func newMatcher(entries []string) (matcher, error) {
	var m matcher
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" || strings.HasPrefix(e, "#") {
			continue
		}
		if p, err := netip.ParsePrefix(e); err == nil {
			m.nets = append(m.nets, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(e); err == nil {
			m.nets = append(m.nets, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		if ap, err := netip.ParseAddrPort(e); err == nil {
			a := ap.Addr().Unmap()
			m.nets = append(m.nets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		n := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(e, "*."), "."), "."))
		if n == "" || strings.ContainsAny(n, " /:") {
			return m, fmt.Errorf("%q is not an address, CIDR or domain", e)
		}
		if m.names == nil {
			m.names = map[string]bool{}
		}
		m.names[n] = true
	}
	return m, nil
}

func (m *matcher) addr(a netip.Addr) bool {
	if len(m.nets) == 0 || !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range m.nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (m *matcher) name(n string) bool {
	if len(m.names) == 0 || n == "" {
		return false
	}
	n = strings.TrimSuffix(lowerASCII(stripPort(n)), ".")
	for {
		if m.names[n] {
			return true
		}
		i := strings.IndexByte(n, '.')
		if i < 0 {
			return false
		}
		n = n[i+1:]
	}
}
