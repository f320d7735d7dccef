//go:build unix

package cache

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
)

// The cache holds packages Blender opens, the log and (without a keychain) the device key: it
// must be this user's private directory. Another user's directory, or one others may write to,
// is refused; a missing one is created 0700; a readable one of ours is made private.
func TestOpenRefusesADirectoryOthersControl(t *testing.T) {
	base := t.TempDir()

	created := filepath.Join(base, "new", "octane-bridge")
	if _, err := Open(created, 0); err != nil {
		t.Fatal(err)
	}
	if mode(t, created) != 0o700 {
		t.Fatalf("created with mode %o, want 700", mode(t, created))
	}

	readable := filepath.Join(base, "readable")
	mkdir(t, readable, 0o755)
	if _, err := Open(readable, 0); err != nil {
		t.Fatal(err)
	}
	if mode(t, readable) != 0o700 {
		t.Fatalf("a readable cache of ours was left at %o, want 700", mode(t, readable))
	}

	for i, m := range []os.FileMode{0o777, 0o770, 0o707, os.ModeSticky | 0o777} {
		shared := filepath.Join(base, "shared-"+strconv.Itoa(i))
		mkdir(t, shared, m)
		_, err := Open(shared, 0)
		if fault.CodeOf(err) != CodeUnsafeDir {
			t.Fatalf("mode %o: %v, want %s", m, err, CodeUnsafeDir)
		}
		if _, serr := os.Stat(filepath.Join(shared, "pkg")); serr == nil {
			t.Fatalf("mode %o: the refused directory was written to", m)
		}
	}

	if _, err := Open("relative/cache", 0); fault.CodeOf(err) != CodeUnsafeDir {
		t.Fatalf("relative path: %v", err)
	}
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	if _, err := Open(file, 0); fault.CodeOf(err) != CodeUnsafeDir {
		t.Fatalf("a file: %v", err)
	}

	// Owned by someone else: as root, hand a directory to nobody; otherwise use one root owns.
	foreign := "/"
	if os.Geteuid() == 0 {
		foreign = filepath.Join(base, "nobody")
		mkdir(t, foreign, 0o700)
		if err := os.Chown(foreign, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Open(foreign, 0)
	if fault.CodeOf(err) != CodeUnsafeDir || !strings.Contains(err.Error(), "another user") {
		t.Fatalf("another user's directory: %v", err)
	}
}

func mkdir(t *testing.T, p string, m os.FileMode) {
	t.Helper()
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, m); err != nil { // past the umask
		t.Fatal(err)
	}
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}
