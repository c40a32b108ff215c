package enrich

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/nethunt/nethunt/internal/config"
)

func TestGroups(t *testing.T) {
	c := config.Default()
	c.NetworkGroups = []config.NetGroup{{Name: "Campus", CIDR: "10.0.0.0/8"}, {Name: "Users", CIDR: "10.10.0.0/16"}, {Name: "Lab", CIDR: "10.10.5.0/24"}, {Name: "V6", CIDR: "2001:db8::/32"}}
	e, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string][]string{
		"10.10.5.9":        {"Lab", "Users", "Campus"},
		"10.10.6.1":        {"Users", "Campus"},
		"10.99.0.1":        {"Campus"},
		"8.8.8.8":          nil,
		"2001:db8::1":      {"V6"},
		"::ffff:10.10.6.1": {"Users", "Campus"},
	} {
		if got := e.Groups(netip.MustParseAddr(ip)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v want %v", ip, got, want)
		}
	}
	if !e.Internal(netip.MustParseAddr("192.168.1.1")) || e.Internal(netip.MustParseAddr("8.8.8.8")) {
		t.Error("home nets wrong")
	}
}

func BenchmarkGroups(b *testing.B) {
	c := config.Default()
	c.NetworkGroups = []config.NetGroup{{Name: "Users", CIDR: "10.10.0.0/16"}, {Name: "Servers", CIDR: "10.20.0.0/16"}}
	e, _ := New(c)
	a := netip.MustParseAddr("10.10.3.4")
	for b.Loop() {
		e.Groups(a)
	}
}
