package event

import (
	"testing"
	"time"
)

// TestParseSuricataAgreesWithTimeParse: the hand-written fast path must
// give exactly what time.Parse gives, and reject what it rejects.
func TestParseSuricataAgreesWithTimeParse(t *testing.T) {
	for _, s := range []string{
		"2026-11-20T08:15:02.123456+0000",
		"2026-11-20T08:15:02.123456-0700",
		"2026-11-20T23:59:59.999999+0530",
		"2024-02-29T00:00:00.000001+0000",
		"2026-11-20T08:15:02.1+0100",
		"2026-11-20T08:15:02.123456789+0000",
		"2025-02-29T00:00:00.000000+0000", // not a leap year
		"2026-13-20T08:15:02.123456+0000",
		"2026-11-20T24:15:02.123456+0000",
		"2026-11-20T08:15:02.123456+00:00",
		"2026-11-20T08:15:02.+0000",
		"2026-11-20T08:15:02.12x456+0000",
		"2026-11-20X08:15:02.123456+0000",
	} {
		want, werr := time.Parse("2006-01-02T15:04:05.999999999-0700", s)
		got, ok := parseSuricata(s)
		if ok && (werr != nil || !got.Equal(want)) {
			t.Errorf("%s: fast %v, time.Parse %v %v", s, got, want, werr)
		}
		// Whatever the fast path declines, ParseTime must still handle.
		pt, perr := ParseTime(s)
		if werr == nil && (perr != nil || !pt.Equal(want)) {
			t.Errorf("%s: ParseTime %v %v, want %v", s, pt, perr, want)
		}
	}
}

func FuzzParseSuricata(f *testing.F) {
	f.Add("2026-11-20T08:15:02.123456+0000")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseSuricata(s)
		if !ok {
			return
		}
		want, err := time.Parse("2006-01-02T15:04:05.999999999-0700", s)
		if err != nil || !got.Equal(want) {
			t.Fatalf("%q: fast %v, time.Parse %v %v", s, got, want, err)
		}
	})
}
