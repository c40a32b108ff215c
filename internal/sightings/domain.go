package sightings

import (
	"strings"

	"github.com/nethunt/nethunt/internal/domain"
)

// registeredDomain is the registered domain of a queried name as package
// domain computes it (public suffix + 1, private suffixes included, so each
// dynamic-DNS customer stays whole; cached), except that reverse lookups
// under .arpa are not tracked: they name addresses, not destinations.
func registeredDomain(name string) string {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	if n == "arpa" || strings.HasSuffix(n, ".arpa") {
		return ""
	}
	return domain.Registered(name)
}
