//go:build unix

package cache

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByUs reports whether the file belongs to the effective user of this process.
func ownedByUs(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// checkPerms applies on systems with Unix permission bits.
const checkPerms = true
