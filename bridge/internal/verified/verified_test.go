//go:build linux || darwin

package verified

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

var signed = []shaderpkg.File{{Path: "material.blend", SHA256: "aa", Size: 5}, {Path: "textures/2k/a.png", SHA256: "bb", Size: 3}}

// tree writes a package directory and waits until the file system's clock has moved past its
// files' change times, so that a change made by the test shows in a ctime even on a coarse clock.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "material.blend"), "blend")
	mustWrite(t, filepath.Join(dir, "manifest.json"), "{}")
	mustWrite(t, filepath.Join(dir, "textures", "2k", "a.png"), "png")
	newest := ctimeOf(t, filepath.Join(dir, "textures", "2k", "a.png"))
	probe := filepath.Join(t.TempDir(), "probe")
	for i := 0; ; i++ {
		mustWrite(t, probe, "x")
		if ctimeOf(t, probe) > newest {
			return dir
		}
		if i == 1000 {
			t.Fatal("the file system clock does not move")
		}
		time.Sleep(time.Millisecond)
	}
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func ctimeOf(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := stampOf(fi)
	return st.ctime
}

// counted returns Trees whose full check counts its calls and answers err; its clock runs a
// minute ahead, so the test's fresh files count as settled.
func counted(err error) (*Trees, *atomic.Int32) {
	var n atomic.Int32
	tr := New(func(context.Context, string, []shaderpkg.File) error { n.Add(1); return err })
	tr.now = func() time.Time { return time.Now().Add(time.Minute) }
	return tr, &n
}

// checkTimes checks dir against list k times in a row, each answering want (nil: no error).
func checkTimes(t *testing.T, tr *Trees, dir string, list []shaderpkg.File, k int, want error) {
	t.Helper()
	for range k {
		if err := tr.Check(context.Background(), dir, list); !errors.Is(err, want) {
			t.Fatalf("err %v, want %v", err, want)
		}
	}
}

func TestUnchangedTreeIsCheckedInFullOnce(t *testing.T) {
	dir := tree(t)
	tr, n := counted(nil)
	checkTimes(t, tr, dir, signed, 3, nil)
	if n.Load() != 1 {
		t.Fatalf("%d full checks of an unchanged tree, want 1", n.Load())
	}
	// Another signed list for the same directory is checked in full.
	if err := tr.Check(context.Background(), dir, signed[:1]); err != nil || n.Load() != 2 {
		t.Fatalf("err %v, %d full checks, want 2", err, n.Load())
	}
}

func TestAnyChangeMeansAFullCheck(t *testing.T) {
	changes := map[string]func(t *testing.T, dir string){
		"rewritten, same size, re-dated": func(t *testing.T, dir string) {
			p := filepath.Join(dir, "material.blend")
			fi, _ := os.Stat(p)
			mustWrite(t, p, "BLEND")
			if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		},
		"grown": func(t *testing.T, dir string) {
			mustWrite(t, filepath.Join(dir, "textures", "2k", "a.png"), "png+")
		},
		"file added deep":   func(t *testing.T, dir string) { mustWrite(t, filepath.Join(dir, "textures", "2k", "b.png"), "b") },
		"file added on top": func(t *testing.T, dir string) { mustWrite(t, filepath.Join(dir, "extra.py"), "x") },
		"file removed": func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "manifest.json")); err != nil {
				t.Fatal(err)
			}
		},
		"replaced by another file": func(t *testing.T, dir string) {
			p := filepath.Join(dir, "material.blend")
			mustWrite(t, p+".new", "evil!")
			if err := os.Rename(p+".new", p); err != nil {
				t.Fatal(err)
			}
		},
		"replaced by a link": func(t *testing.T, dir string) {
			p := filepath.Join(dir, "material.blend")
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/etc/passwd", p); err != nil {
				t.Fatal(err)
			}
		},
		"mode changed": func(t *testing.T, dir string) {
			if err := os.Chmod(filepath.Join(dir, "material.blend"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			dir := tree(t)
			tr, n := counted(nil)
			checkTimes(t, tr, dir, signed, 1, nil)
			change(t, dir)
			checkTimes(t, tr, dir, signed, 1, nil)
			if n.Load() != 2 {
				t.Fatalf("the changed tree was not checked in full again (%d full checks)", n.Load())
			}
		})
	}
}

// Files changed just before the check (as after an extraction) are checked in full until they
// have settled: a change in the same tick of a coarse file system clock would not show.
func TestRecentFilesAreCheckedEveryTime(t *testing.T) {
	dir := tree(t)
	tr, n := counted(nil)
	tr.now = time.Now
	checkTimes(t, tr, dir, signed, 2, nil)
	if n.Load() != 2 {
		t.Fatalf("%d full checks of a fresh tree, want 2", n.Load())
	}
}

func TestFailedCheckIsNotRemembered(t *testing.T) {
	dir := tree(t)
	bad := errors.New("ARCHIVE_MISMATCH")
	tr, n := counted(bad)
	checkTimes(t, tr, dir, signed, 2, bad)
	if n.Load() != 2 {
		t.Fatalf("%d full checks, want 2", n.Load())
	}
}

// A tree that changes while it is checked in full is not remembered.
func TestChangeDuringTheCheckIsNotRemembered(t *testing.T) {
	dir := tree(t)
	var n atomic.Int32
	tr := New(func(context.Context, string, []shaderpkg.File) error {
		if n.Add(1) == 1 {
			mustWrite(t, filepath.Join(dir, "manifest.json"), "{ }")
		}
		return nil
	})
	tr.now = func() time.Time { return time.Now().Add(time.Minute) }
	checkTimes(t, tr, dir, signed, 2, nil)
	if n.Load() != 2 {
		t.Fatalf("%d full checks, want 2", n.Load())
	}
}
