//go:build !unix

package sightings

import "time"

var start = time.Now()

func cpuTime() time.Duration { return time.Since(start) }
