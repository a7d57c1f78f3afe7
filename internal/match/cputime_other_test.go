//go:build !linux

package match

import "time"

func threadCPU() time.Duration { return 0 }
