//go:build linux || darwin

package verified

import (
	"io/fs"
	"syscall"
)

func stampOf(fi fs.FileInfo) (stamp, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return stamp{}, false
	}
	return stamp{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime().UnixNano(),
		ctime: ctime(st), dev: uint64(st.Dev), ino: st.Ino}, true
}
