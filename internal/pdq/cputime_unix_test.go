//go:build unix

package pdq

import "syscall"

// cpuSeconds is the CPU time this process has used (user and system, all
// threads), so that benchmarks can report a cost per image that does not
// depend on how busy the machine is.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
