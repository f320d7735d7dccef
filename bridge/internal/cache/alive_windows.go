//go:build windows

package cache

import "os"

// processAlive reports whether pid exists: FindProcess opens the process on Windows.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}
