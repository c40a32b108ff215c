package decode

import (
	"bufio"
	"bytes"
	"reflect"
	"sort"
	"sync"
	"testing"

	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/sim"
)

// mixLines is the simulator's event mix (seed 1, the same generator
// `nethunt bench` uses), built once per test binary.
var mixLines = sync.OnceValue(func() [][]byte {
	var buf bytes.Buffer
	lw := &limitWriter{w: &buf, left: 20000}
	_, _ = sim.Generate(sim.Config{Seed: 1, Hosts: 50, Hours: 24}, lw, nil)
	var lines [][]byte
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			lines = append(lines, bytes.Clone(sc.Bytes()))
		}
	}
	return lines
})

// limitWriter stops the simulator after left complete lines.
type limitWriter struct {
	w    *bytes.Buffer
	left int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	n := 0
	for l.left > 0 && len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.w.Write(p)
			return n + len(p), nil
		}
		l.w.Write(p[:i+1])
		n += i + 1
		p = p[i+1:]
		l.left--
	}
	if len(p) > 0 {
		return n, bytes.ErrTooLarge // any error ends the simulator
	}
	return n, nil
}

// BenchmarkDecodeMix decodes the simulator's mix of event types (flow, dns,
// tls, http, alert, ...) through a reused line buffer, as the file source
// does; one op is one line.
func BenchmarkDecodeMix(b *testing.B) {
	lines := mixLines()
	if len(lines) == 0 {
		b.Fatal("simulator produced no lines")
	}
	var size int64
	for _, l := range lines {
		size += int64(len(l))
	}
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	buf := make([]byte, 0, 64<<10)
	i := 0
	for b.Loop() {
		buf = append(buf[:0], lines[i]...)
		if _, err := Decode(buf); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(lines) {
			i = 0
		}
	}
}

// TestNoAliasing: the source hands Decode a slice of a buffer it reuses for
// the next lines, so nothing in the returned event may refer to the input.
// Every line is decoded from a scratch buffer that is then overwritten, and
// the event must still equal one decoded from a private copy.
func TestNoAliasing(t *testing.T) {
	lines := [][]byte{
		benchLine,
		[]byte(`{"timestamp":"2023-01-01T00:00:00.000000+0000","event_type":"alert","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","alert":{"action":"allowed","signature":"ET X","metadata":{"tag":["a","b"]}},"dns":{"version":2,"type":"answer","rrname":"x.example","grouped":{"A":["1.2.3.4"],"CNAME":["y.example"]}},"http":{"hostname":"h","request_headers":[{"name":"Via","value":"1.1 p"}]},"vlan":[1,2],"tx_id":3}`),
		[]byte(`{"timestamp":"2024-05-01T10:00:00.123456+0200","event_type":"http","src_ip":"10.0.0.1","src_port":"4444","http":{"hostname":12345,"http_user_agent":"a\"b\u00e9"}}`),
	}
	for i, l := range mixLines() {
		if i%97 == 0 {
			lines = append(lines, l)
		}
	}
	scratch := make([]byte, 0, 64<<10)
	for _, l := range lines {
		want, werr := Decode(bytes.Clone(l))
		scratch = append(scratch[:0], l...)
		got, gerr := Decode(scratch)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("errors differ: %v / %v", werr, gerr)
		}
		if werr != nil {
			continue
		}
		for i := range scratch {
			scratch[i] = 'x'
		}
		sortAnswers(got)
		sortAnswers(want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("event changed when the input buffer was overwritten:\n%s", l)
		}
	}
}

// sortAnswers orders the answers normalizeDNS took from the "grouped" map,
// whose iteration order is random, so that two decodes of a line compare
// equal.
func sortAnswers(ev *event.Event) {
	if ev.DNS == nil || len(ev.DNS.AnswerData) != len(ev.DNS.AnswerType) {
		return
	}
	d := ev.DNS
	idx := make([]int, len(d.AnswerData))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if d.AnswerType[idx[a]] != d.AnswerType[idx[b]] {
			return d.AnswerType[idx[a]] < d.AnswerType[idx[b]]
		}
		return d.AnswerData[idx[a]] < d.AnswerData[idx[b]]
	})
	data, typ := make([]string, len(idx)), make([]string, len(idx))
	for i, j := range idx {
		data[i], typ[i] = d.AnswerData[j], d.AnswerType[j]
	}
	d.AnswerData, d.AnswerType = data, typ
}
