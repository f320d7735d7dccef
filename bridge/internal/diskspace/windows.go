//go:build windows

package diskspace

import "golang.org/x/sys/windows"

const isWindows = true

// Free returns the bytes available to this user on the volume holding dir (quotas included).
func Free(dir string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, err
	}
	return avail, nil
}

func quotaExceeded(error) bool { return false }
