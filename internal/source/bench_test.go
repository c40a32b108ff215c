package source

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

type countHandler struct{ lines, bytes int64 }

func (c *countHandler) Record(r Record) error           { c.lines++; c.bytes += int64(len(r.Data)); return nil }
func (c *countHandler) Problem(Problem)                 {}
func (c *countHandler) EndOfFile(string, FileID, int64) {}

// writeBenchFile writes about size bytes of EVE-like lines of varied length
// and returns the path and the uncompressed size.
func writeBenchFile(b *testing.B, size int64, compress bool) (string, int64) {
	b.Helper()
	p := filepath.Join(b.TempDir(), "eve.json")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var w interface {
		Write([]byte) (int, error)
	} = bw
	var zw *gzip.Writer
	if compress {
		zw, _ = gzip.NewWriterLevel(bw, gzip.BestSpeed)
		w = zw
	}
	pad := "R0VUIC9pbmRleC5odG1sIEhUVFAvMS4xDQpIb3N0OiBleGFtcGxlLmNvbQ0KVXNlci1BZ2VudDogY3VybC84LjAuMQ0KQWNjZXB0OiAqLyoNCg0K"
	var n int64
	for i := 0; n < size; i++ {
		line := fmt.Sprintf(`{"timestamp":"2025-01-02T03:04:05.%06d+0000","flow_id":%d,"in_iface":"eth0","event_type":"%s","src_ip":"10.%d.%d.%d","src_port":%d,"dest_ip":"192.168.%d.%d","dest_port":443,"proto":"TCP","tls":{"sni":"host%d.example.com","version":"TLS 1.3","ja3":{"hash":"%032x"}},"payload":"%s"}`+"\n",
			i%1000000, 1000000000+i, []string{"alert", "tls", "flow", "dns"}[i%4], i%256, (i/256)%256, i%200, 1024+i%60000, i%256, (i*7)%256, i%5000, uint64(i)*2654435761, pad[:i%len(pad)])
		w.Write([]byte(line))
		n += int64(len(line))
	}
	if zw != nil {
		zw.Close()
	}
	bw.Flush()
	f.Close()
	return p, n
}

func benchRead(b *testing.B, compress bool) {
	p, size := writeBenchFile(b, 48<<20, compress)
	ctx := context.Background()
	h := &countHandler{}
	b.ResetTimer()
	for b.Loop() {
		if err := ReadFiles(ctx, []string{p}, Options{}, h); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(size)*float64(b.N)/sec/1e6, "MB/s")
	b.ReportMetric(float64(h.lines)/sec, "lines/s")
}

func BenchmarkReadFilesPlain(b *testing.B) { benchRead(b, false) }
func BenchmarkReadFilesGzip(b *testing.B)  { benchRead(b, true) }
