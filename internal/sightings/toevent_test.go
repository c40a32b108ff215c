package sightings

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/fields"
)

func TestToEventDecodes(t *testing.T) {
	tr := New(Options{})
	var ss []Sighting
	for _, l := range []string{tls7, tls8, http7, http8req, ssh7, dnsV3Response, file7, flowFailed, alertToClient} {
		ss = append(ss, observeAll(tr, mustDecode(t, l))...)
	}
	// Hostile value: quotes, control bytes, HTML, invalid UTF-8, U+2028.
	ss = append(ss, Sighting{
		Time: time.Date(2025, 1, 2, 3, 4, 5, 678901234, time.FixedZone("x", 3600)), Key: "http.http_user_agent",
		Value: "a\"b\\c\x00\x1f\n<script>&\u2028é\xff", Asset: netip.MustParseAddr("fe80::1"), AssetSide: SideSrc,
		EventType: "http", SrcIP: netip.MustParseAddr("fe80::1"), DestIP: netip.MustParseAddr("fe80::2"), SrcPort: 1, DestPort: 2,
		Proto: "TCP", Host: "probe-1", CommunityID: "1:abc=",
	})
	if len(ss) < 30 {
		t.Fatalf("only %d sightings", len(ss))
	}
	for _, s := range ss {
		ev := ToEvent(s)
		if !json.Valid(ev.Raw) {
			t.Fatalf("invalid JSON: %s", ev.Raw)
		}
		var m map[string]any
		if err := json.Unmarshal(ev.Raw, &m); err != nil {
			t.Fatal(err)
		}
		if m["event_type"] != "sighting" || !strings.HasSuffix(m["timestamp"].(string), "+0000") {
			t.Fatalf("bad header: %s", ev.Raw)
		}
		dec, err := decode.Decode(ev.Raw)
		if err != nil {
			t.Fatalf("decode.Decode rejects %s: %v", ev.Raw, err)
		}
		if dec.Warning != "" {
			t.Errorf("decode warning %q for %s", dec.Warning, ev.Raw)
		}
		if !dec.Time.Equal(ev.Time) || !ev.Time.Equal(s.Time.Truncate(time.Microsecond)) {
			t.Errorf("time %v / %v / %v", dec.Time, ev.Time, s.Time)
		}
		// Everything the registry can read agrees between the built event and
		// the decoded line.
		for _, f := range fields.Columns() {
			if a, b := f.Get(ev), f.Get(dec); !reflect.DeepEqual(a, b) {
				t.Errorf("%s: built %#v, decoded %#v (%s)", f.Name, a, b, ev.Raw)
			}
		}
		if dec.Sighting == nil || dec.Sighting.Key != s.Key || dec.Sighting.AssetSide != s.AssetSide || dec.Sighting.TriggerType != s.EventType {
			t.Errorf("sighting object: %+v from %s", dec.Sighting, ev.Raw)
		}
		if s.Asset.IsValid() && dec.Sighting.Asset != s.Asset.String() {
			t.Errorf("asset %q want %v", dec.Sighting.Asset, s.Asset)
		}
	}
	hostile := ToEvent(ss[len(ss)-1])
	for _, frag := range []string{"\\\"b\\\\c\\u0000\\u001f\\n<script>&\\u2028é\uFFFD\"", `"src_ip":"fe80::1"`, `"host":"probe-1"`, `"timestamp":"2025-01-02T02:04:05.678901+0000"`} {
		if !strings.Contains(string(hostile.Raw), frag) {
			t.Errorf("raw lacks %s: %s", frag, hostile.Raw)
		}
	}
}

func TestToEventShape(t *testing.T) {
	ev := ToEvent(Sighting{
		Time: time.Date(2024, 5, 1, 8, 0, 0, 123456000, time.UTC), Key: "tls.sni", Value: "example.com",
		Asset: netip.MustParseAddr("93.184.216.34"), AssetSide: SideDest, FlowID: 1, EventType: "tls",
		SrcIP: netip.MustParseAddr("10.0.0.5"), DestIP: netip.MustParseAddr("93.184.216.34"), SrcPort: 51000, DestPort: 443,
		Proto: "TCP", AppProto: "tls",
	})
	want := `{"timestamp":"2024-05-01T08:00:00.123456+0000","flow_id":1,"event_type":"sighting","src_ip":"10.0.0.5","src_port":51000,"dest_ip":"93.184.216.34","dest_port":443,"proto":"TCP","app_proto":"tls","sighting":{"key":"tls.sni","value":"example.com","asset":"93.184.216.34","asset_side":"dest","trigger_event_type":"tls"}}`
	if string(ev.Raw) != want {
		t.Fatalf("got  %s\nwant %s", ev.Raw, want)
	}
}

func TestAnnotateKeepsLineAndColumnsInAgreement(t *testing.T) {
	ev := ToEvent(Sighting{Key: "tls.sni", Value: "x.example", Asset: netip.MustParseAddr("10.1.2.3"), AssetSide: SideDest})
	Annotate(ev, []string{"Users", `we"ird`}, []string{"http proxy"})
	back, err := decode.Decode(ev.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back.Sighting.AssetGroup) != fmt.Sprint([]string{"Users", `we"ird`}) || fmt.Sprint(back.Sighting.AssetRole) != "[http proxy]" {
		t.Fatalf("decoded %+v from %s", back.Sighting, ev.Raw)
	}
}
