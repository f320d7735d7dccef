package diskspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"
)

func TestFullRecognisesEveryDiskFullError(t *testing.T) {
	for _, err := range []error{
		syscall.ENOSPC,
		&fs.PathError{Op: "write", Path: "/cache/pkg/x", Err: syscall.ENOSPC},
		fmt.Errorf("extract: %w", &os.LinkError{Op: "rename", Err: syscall.ENOSPC}),
	} {
		if !Full(err) {
			t.Errorf("%v: not recognised as disk full", err)
		}
	}
	for _, err := range []error{nil, errors.New("no space left"), syscall.EACCES, &fs.PathError{Op: "open", Err: syscall.ENOENT}} {
		if Full(err) {
			t.Errorf("%v: taken for disk full", err)
		}
	}
	// Windows' own codes (the function that checks them runs everywhere).
	for code, want := range map[uintptr]bool{112: true, 39: true, 5: false, 32: false} {
		if windowsDiskFull(code) != want {
			t.Errorf("windows error %d: full=%v", code, !want)
		}
	}
}

func TestFreeSpaceOfTheTempDir(t *testing.T) {
	n, err := Free(t.TempDir())
	if err != nil || n == 0 {
		t.Fatalf("free %d, %v", n, err)
	}
}
