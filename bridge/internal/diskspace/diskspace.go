// Package diskspace answers two questions about the disk holding the bridge's cache: how much
// room is left for this user (checked before a download), and whether an error means the disk
// or the user's quota is full (reported as DISK_FULL, never as a broken package).
package diskspace

import (
	"errors"
	"syscall"
)

// ErrUnknown: this platform cannot tell how much space is free.
var ErrUnknown = errors.New("diskspace: free space unknown on this platform")

// Full reports whether err (or anything it wraps) means there is no room left: ENOSPC or
// EDQUOT on Unix, ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL on Windows.
func Full(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || quotaExceeded(err) {
		return true
	}
	var errno syscall.Errno
	return isWindows && errors.As(err, &errno) && windowsDiskFull(uintptr(errno))
}

// Windows system error codes (winerror.h).
const (
	errorHandleDiskFull = 39  // ERROR_HANDLE_DISK_FULL
	errorDiskFull       = 112 // ERROR_DISK_FULL
)

// windowsDiskFull reports whether a Windows system error code means the disk is full.
func windowsDiskFull(code uintptr) bool { return code == errorDiskFull || code == errorHandleDiskFull }
