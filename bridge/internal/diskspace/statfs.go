//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package diskspace

import (
	"errors"

	"golang.org/x/sys/unix"
)

const isWindows = false

// Free returns the bytes available to unprivileged users on the file system holding dir.
func Free(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil //nolint:gosec,unconvert // field types differ per OS
}

func quotaExceeded(err error) bool { return errors.Is(err, unix.EDQUOT) }
