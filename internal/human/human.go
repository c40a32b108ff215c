// Package human formats quantities for people reading a terminal: one
// spelling of sizes across the CLI, host cards and detector reports.
package human

import "strconv"

// Bytes formats a size in binary units: "512 B", "3.4 KiB", "101.3 MiB",
// "1.75 GiB" (two decimals from GiB up, where one would hide real change).
func Bytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, exp := float64(n)/unit, 0
	for f >= unit || f <= -unit {
		f /= unit
		exp++
	}
	prec := 1
	if exp >= 2 {
		prec = 2
	}
	return strconv.FormatFloat(f, 'f', prec, 64) + " " + string("KMGTPE"[exp]) + "iB"
}

// Count formats a count or a rate compactly: "950", "46.6k", "1.47M".
func Count(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}
