package decode

import (
	"bytes"
	encjson "encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestBadInput(t *testing.T) {
	cases := []struct {
		name, line, reason string
	}{
		{"not json", `hello`, ReasonNotObject},
		{"array", `[1,2]`, ReasonNotObject},
		{"truncated", `{"timestamp":"2024-01-01T00:00:00.000000+0000","event_type":"fl`, ReasonInvalidJSON},
		{"missing timestamp", `{"event_type":"flow","src_ip":"10.0.0.1"}`, ReasonMissingTimestamp},
		{"bad timestamp", `{"timestamp":"yesterday","event_type":"flow"}`, ReasonBadTimestamp},
		{"missing type", `{"timestamp":"2024-01-01T00:00:00.000000+0000"}`, ReasonMissingType},
		{"number timestamp", `{"timestamp":12345,"event_type":"flow"}`, ReasonBadTimestamp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode([]byte(c.line))
			var de *Error
			if !errors.As(err, &de) || de.Reason != c.reason {
				t.Fatalf("got %v, want reason %q", err, c.reason)
			}
		})
	}
}

// A number where a string belongs must not cost the analyst the event.
func TestCoercion(t *testing.T) {
	line := `{"timestamp":"2024-05-01T10:00:00.123456+0200","event_type":"http","src_ip":"10.0.0.1","src_port":"4444","dest_ip":"1.2.3.4","dest_port":80,"vlan":7,"http":{"hostname":12345,"status":"200","http_user_agent":true,"length":1.5e3}}`
	ev, err := Decode([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Warning == "" {
		t.Error("no warning for coerced values")
	}
	if ev.HTTP.Hostname != "12345" || ev.SrcPort != 4444 || *ev.HTTP.Status != 200 || ev.HTTP.Length != 1500 || ev.HTTP.UserAgent != "true" {
		t.Errorf("coercion wrong: %+v %+v", ev, ev.HTTP)
	}
	if len(ev.Vlan) != 1 || ev.Vlan[0] != 7 {
		t.Errorf("scalar vlan not kept as list: %v", ev.Vlan)
	}
	want := time.Date(2024, 5, 1, 8, 0, 0, 123456000, time.UTC)
	if !ev.Time.Equal(want) {
		t.Errorf("time %v want %v", ev.Time, want)
	}
}

func TestInvalidUTF8Kept(t *testing.T) {
	line := []byte("{\"timestamp\":\"2024-05-01T10:00:00Z\",\"event_type\":\"dhcp\",\"dhcp\":{\"hostname\":\"nas\xff\xfe1\"}}")
	ev, err := Decode(line)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(ev.Raw) {
		t.Error("raw is not valid UTF-8")
	}
	if ev.DHCP == nil || !strings.HasPrefix(ev.DHCP.Hostname, "nas") {
		t.Errorf("hostname lost: %+v", ev.DHCP)
	}
}

func TestDNSFormats(t *testing.T) {
	cases := map[string]struct {
		line         string
		names, rdata []string
	}{
		"v1 answer":   {`{"timestamp":"2016-01-01T00:00:00.000000+0000","event_type":"dns","dns":{"type":"answer","id":1,"rrname":"a.example","rrtype":"A","ttl":60,"rdata":"1.2.3.4"}}`, []string{"a.example"}, []string{"1.2.3.4"}},
		"v2 query":    {`{"timestamp":"2023-01-01T00:00:00.000000+0000","event_type":"dns","dns":{"type":"query","id":1,"rrname":"b.example","rrtype":"AAAA","tx_id":0}}`, []string{"b.example"}, nil},
		"v2 answer":   {`{"timestamp":"2023-01-01T00:00:00.000000+0000","event_type":"dns","dns":{"version":2,"type":"answer","id":1,"rrname":"c.example","rrtype":"A","rcode":"NOERROR","answers":[{"rrname":"c.example","rrtype":"CNAME","ttl":5,"rdata":"d.example"},{"rrname":"d.example","rrtype":"A","ttl":5,"rdata":"5.6.7.8"}]}}`, []string{"c.example"}, []string{"d.example", "5.6.7.8"}},
		"v2 grouped":  {`{"timestamp":"2023-01-01T00:00:00.000000+0000","event_type":"dns","dns":{"version":2,"type":"answer","id":1,"rrname":"e.example","rrtype":"A","grouped":{"A":["9.9.9.9"]}}}`, []string{"e.example"}, []string{"9.9.9.9"}},
		"v3 response": {`{"timestamp":"2025-01-01T00:00:00.000000+0000","event_type":"dns","dns":{"version":3,"type":"response","id":1,"rcode":"NOERROR","queries":[{"rrname":"f.example","rrtype":"A"}],"answers":[{"rrname":"f.example","rrtype":"A","ttl":1,"rdata":"10.1.1.1"}]}}`, []string{"f.example"}, []string{"10.1.1.1"}},
		"v2 in alert": {`{"timestamp":"2023-01-01T00:00:00.000000+0000","event_type":"alert","dns":{"query":[{"type":"query","rrname":"g.example","rrtype":"A"}]}}`, []string{"g.example"}, nil},
	}
	for name, c := range cases {
		ev, err := Decode([]byte(c.line))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !equal(ev.DNS.Names, c.names) || !equal(ev.DNS.AnswerData, c.rdata) {
			t.Errorf("%s: names %v rdata %v", name, ev.DNS.Names, ev.DNS.AnswerData)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzDecode: never panic; accept only what encoding/json accepts as an
// object; an accepted event keeps valid UTF-8 raw text.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`{"timestamp":"2024-05-01T10:00:00.123456+0200","event_type":"flow","src_ip":"10.0.0.1","flow":{"bytes_toserver":10}}`,
		`{"timestamp":"2024-05-01T10:00:00Z","event_type":"dns","dns":{"version":3,"queries":[{"rrname":"x"}],"grouped":{"A":["1.1.1.1"]}}}`,
		`{"timestamp":"2024-05-01T10:00:00Z","event_type":"http","http":{"request_headers":[{"name":"Via","value":"1.1 p"}],"status":"x"}}`,
		`{"timestamp":"2024-05-01T10:00:00Z","event_type":"alert","alert":{"metadata":{"a":["b"]},"severity":"1"},"vlan":[1,2]}`,
		`{"timestamp":null,"event_type":null}`, `{}`, `{"a":`, "\xff",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := Decode(b)
		if err != nil {
			return
		}
		var m map[string]any
		if jerr := encjson.Unmarshal(bytes.ToValidUTF8(b, []byte("\uFFFD")), &m); jerr != nil {
			t.Fatalf("accepted a line encoding/json rejects: %v", jerr)
		}
		if !utf8.Valid(ev.Raw) {
			t.Fatal("raw not UTF-8")
		}
		if ev.Time.IsZero() || ev.EventType == "" {
			t.Fatal("accepted event without time or type")
		}
	})
}

var benchLine = []byte(`{"timestamp":"2026-11-20T08:15:02.123456+0000","flow_id":1234567890123,"in_iface":"eth0","event_type":"tls","src_ip":"10.10.3.57","src_port":51234,"dest_ip":"93.184.216.34","dest_port":443,"proto":"TCP","app_proto":"tls","community_id":"1:xJxJDpiAcmFHB/0eI3N6hY+mhHk=","tls":{"subject":"CN=www.example.com","issuerdn":"C=US, O=Let's Encrypt, CN=R10","serial":"04:AB:CD:EF","fingerprint":"a6:10:1a:fc:2a:33:28:92:ca:9d:40:0c:fe:6a:38:41:e8:48:57:80","sni":"www.example.com","version":"TLS 1.3","notbefore":"2026-10-01T00:00:00","notafter":"2026-12-30T00:00:00","ja3":{"hash":"de350869b8c85de67a350c8d186f11e6","string":"771,4865-4866-4867,0-23-65281,29-23-24,0"},"ja3s":{"hash":"9aeeb84942a46257594025306635f0ff","string":"771,4865,43-51"},"ja4":"t13d1516h2_8daaf6152771_02713d6af862"}}`)

func BenchmarkDecode(b *testing.B) {
	b.SetBytes(int64(len(benchLine)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(benchLine); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGroupedAnswersDeterministic: DNS answers in the grouped layout come
// out in the same order on every decode (record types sorted), whatever
// the map order.
func TestGroupedAnswersDeterministic(t *testing.T) {
	line := []byte(`{"timestamp":"2026-11-20T08:00:00.000000+0000","event_type":"dns","src_ip":"10.0.0.53","dest_ip":"10.0.0.1","proto":"UDP","dns":{"version":2,"type":"answer","rrname":"example.org","grouped":{"TXT":["v=spf1 -all"],"AAAA":["2001:db8::1","2001:db8::2"],"A":["192.0.2.1"],"CNAME":["alias.example.org"],"MX":["mx.example.org"]}}}`)
	var first []string
	for i := 0; i < 50; i++ {
		ev, err := Decode(line)
		if err != nil {
			t.Fatal(err)
		}
		got := append(append([]string(nil), ev.DNS.AnswerType...), ev.DNS.AnswerData...)
		if i == 0 {
			first = got
			want := []string{"A", "AAAA", "AAAA", "CNAME", "MX", "TXT"}
			if !slices.Equal(ev.DNS.AnswerType, want) {
				t.Fatalf("answer types %v, want %v", ev.DNS.AnswerType, want)
			}
			continue
		}
		if !slices.Equal(got, first) {
			t.Fatalf("decode %d gave %v, first gave %v", i, got, first)
		}
	}
}
