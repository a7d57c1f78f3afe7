//go:build !linux

package intake

const oNoATime = 0
