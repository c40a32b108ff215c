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
	// Fast path for the common shapes; fall back to time.Parse for the rest.
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
