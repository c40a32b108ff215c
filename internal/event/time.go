package event

import (
	"errors"
	"time"
)

// ParseTime accepts the timestamp shapes seen in EVE: Suricata's own
// "2006-01-02T15:04:05.999999-0700" (offset without colon), converters' "Z"
// and "+07:00", and TLS validity dates that carry no zone at all (read as UTC).
func ParseTime(s string) (time.Time, error) {
	if len(s) < 19 {
		return time.Time{}, errBadTime
	}
	if t, ok := parseSuricata(s); ok {
		return t, nil
	}
	// Everything else goes through time.Parse.
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errBadTime
}

var errBadTime = errors.New("unrecognised timestamp")

var timeLayouts = []string{
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999-0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// parseSuricata reads Suricata's exact shape, "2006-01-02T15:04:05.123456+0000"
// (any offset, 0-9 fraction digits), by hand: time.Parse was 10% of decoding.
// Anything unusual is left to time.Parse.
func parseSuricata(s string) (time.Time, bool) {
	if len(s) < 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for j := i; j < i+n; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	i, nsec, digits := 20, 0, 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if digits < 9 {
			nsec = nsec*10 + int(s[i]-'0')
			digits++
		}
	}
	if digits == 0 {
		return time.Time{}, false
	}
	for ; digits < 9; digits++ {
		nsec *= 10
	}
	// Offset: exactly +hhmm or -hhmm.
	if len(s)-i != 5 || (s[i] != '+' && s[i] != '-') {
		return time.Time{}, false
	}
	oh, ok7 := num(i+1, 2)
	om, ok8 := num(i+3, 2)
	if !ok7 || !ok8 || oh > 23 || om > 59 {
		return time.Time{}, false
	}
	off := (oh*60 + om) * 60
	if s[i] == '-' {
		off = -off
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // Feb 30 and the like: let time.Parse reject it
	}
	return t.Add(-time.Duration(off) * time.Second), true
}
