//go:build linux

package match

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// adviseHuge asks Linux to back a large array with transparent huge
// pages (where THP is in "madvise" mode, the common default). The PDQ
// index reads its arrays at random; with 4 KiB pages nearly every read
// also misses the TLB. Call it before the array is first written.
func adviseHuge[T any](s []T) {
	if os.Getenv("VIGIL_NO_HUGE") != "" {
		return
	}
	var zero T
	size := uintptr(cap(s)) * unsafe.Sizeof(zero)
	if size < 8<<20 {
		return
	}
	base := unsafe.Pointer(unsafe.SliceData(s))
	page := uintptr(os.Getpagesize())
	skip := (page - uintptr(base)%page) % page
	n := (size - skip) &^ (page - 1)
	b := unsafe.Slice((*byte)(unsafe.Add(base, skip)), n)
	unix.Madvise(b, unix.MADV_HUGEPAGE)
}
