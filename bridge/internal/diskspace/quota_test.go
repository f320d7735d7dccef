//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package diskspace

import (
	"io/fs"
	"testing"

	"golang.org/x/sys/unix"
)

func TestFullRecognisesAnExceededQuota(t *testing.T) {
	if !Full(&fs.PathError{Op: "write", Path: "/cache/pkg/x", Err: unix.EDQUOT}) {
		t.Fatal("EDQUOT is a full disk for this user")
	}
}
