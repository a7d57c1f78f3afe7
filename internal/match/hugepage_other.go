//go:build !linux

package match

func adviseHuge[T any](s []T) {}
