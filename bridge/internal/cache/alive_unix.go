//go:build unix

package cache

import (
	"errors"
	"syscall"
)

// processAlive reports whether pid exists (EPERM means it exists but is not ours).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
