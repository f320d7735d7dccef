//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly || windows

package download

import (
	"os"
	"path/filepath"
	"testing"
)

// TryLock keeps one holder per path, never waits, and leaves no file behind.
func TestTryLockOneHolderAtATime(t *testing.T) {
	p := filepath.Join(t.TempDir(), "import.lock")
	release, ok, err := TryLock(p)
	if err != nil || !ok {
		t.Fatalf("first lock: %v %v", ok, err)
	}
	if _, ok2, err := TryLock(p); err != nil || ok2 {
		t.Fatalf("a second holder got the lock: %v %v", ok2, err)
	}
	release()
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("lock file left behind: %v", err)
	}
	release2, ok, err := TryLock(p)
	if err != nil || !ok {
		t.Fatalf("lock after release: %v %v", ok, err)
	}
	release2()
}
