//go:build !unix

package pdq

func cpuSeconds() float64 { return 0 }
