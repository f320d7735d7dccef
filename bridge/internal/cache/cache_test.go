package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
)

func key(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// fillN writes a package of n bytes (manifest.json + textures/1k/a.png).
func fillN(n int) func(string) error {
	return func(dir string) error {
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("{}"), 0o644); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, "textures", "1k"), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "textures", "1k", "a.png"), bytes.Repeat([]byte{7}, n-2), 0o644)
	}
}

func mustOpen(t *testing.T, dir string, max int64) *Cache {
	t.Helper()
	c, err := Open(dir, max)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestInstallAndLookup(t *testing.T) {
	root := t.TempDir()
	c := mustOpen(t, root, 1<<20)
	sha := key("a")
	if _, ok := c.Lookup(sha); ok {
		t.Fatal("hit on an empty cache")
	}
	dir, err := c.Install(sha, fillN(1000))
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(root, "pkg", sha) {
		t.Fatalf("entry at %s", dir)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "textures", "1k", "a.png")); err != nil || len(b) != 998 {
		t.Fatalf("entry content: %v", err)
	}
	got, ok := c.Lookup(sha)
	if !ok || got != dir {
		t.Fatalf("lookup %q %v", got, ok)
	}
	if n := names(t, filepath.Join(root, "tmp")); len(n) != 0 {
		t.Fatalf("temp dirs left: %v", n)
	}
	if s := c.Stats(); s.Entries != 1 || s.Bytes != 1000 || s.MaxBytes != 1<<20 || s.Dir != root {
		t.Fatalf("stats %+v", s)
	}
	// Installing again does not call fill.
	if _, err := c.Install(sha, func(string) error { t.Fatal("fill called for a present entry"); return nil }); err != nil {
		t.Fatal(err)
	}
	if p := c.PartPath(sha); p != filepath.Join(root, "downloads", sha+".zip.part") {
		t.Fatalf("part path %s", p)
	}
}

func TestFailedFillLeavesNothing(t *testing.T) {
	root := t.TempDir()
	c := mustOpen(t, root, 1<<20)
	sha := key("b")
	boom := errors.New("ARCHIVE_RATIO")
	_, err := c.Install(sha, func(dir string) error {
		fillN(5000)(dir) // half a package is on disk when it fails
		return boom
	})
	if fault.CodeOf(err) != CodeFill || !errors.Is(err, boom) {
		t.Fatalf("want %s wrapping the fill's error, got %v", CodeFill, err)
	}
	if _, ok := c.Lookup(sha); ok {
		t.Fatal("a failed fill is visible")
	}
	if n := names(t, filepath.Join(root, "tmp")); len(n) != 0 {
		t.Fatalf("temp dirs left: %v", n)
	}
	if n := names(t, filepath.Join(root, "pkg")); len(n) != 0 {
		t.Fatalf("entries left: %v", n)
	}
	// A link inside an entry never becomes visible either.
	_, err = c.Install(sha, func(dir string) error { return os.Symlink("/etc", filepath.Join(dir, "l")) })
	if fault.CodeOf(err) != CodeIO {
		t.Fatalf("entry with a symlink installed: %v", err)
	}
	if _, ok := c.Lookup(sha); ok {
		t.Fatal("entry with a symlink is visible")
	}
}

// A process killed between fill and rename leaves a temp dir; the next Open removes it and
// nothing of it is ever a Lookup hit.
func TestCrashBeforeRenameIsNeverAHit(t *testing.T) {
	root := t.TempDir()
	c := mustOpen(t, root, 1<<20)
	sha := key("c")
	// What a killed bridge leaves (its PID is gone), next to a live bridge's fill in progress.
	tmp := filepath.Join(root, "tmp", "tmp-2147483600-0123456789abcdef")
	os.Mkdir(tmp, 0o700)
	fillN(3000)(tmp)
	os.Truncate(filepath.Join(tmp, "textures", "1k", "a.png"), 10) // the crash cut a file short
	live, err := c.newTemp()
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(root, "tmp", "tmp-del-0011223344556677"), 0o700) // an interrupted delete
	old, _ := c.newTemp()                                                   // a live PID, but a day old: the PID was reused
	os.Chtimes(old, time.Now().Add(-25*time.Hour), time.Now().Add(-25*time.Hour))
	if _, ok := c.Lookup(sha); ok {
		t.Fatal("hit on a temp dir")
	}
	// Things that are not ours in pkg/ are neither entries nor deleted.
	os.Mkdir(filepath.Join(root, "pkg", "notes"), 0o700)
	os.Mkdir(filepath.Join(root, "pkg", sha[:63]), 0o700)

	c2 := mustOpen(t, root, 1<<20)
	if _, ok := c2.Lookup(sha); ok {
		t.Fatal("hit after restart")
	}
	if n := names(t, filepath.Join(root, "tmp")); len(n) != 1 || n[0] != filepath.Base(live) {
		t.Fatalf("after Open tmp/ holds %v, want only the live process's %s", n, filepath.Base(live))
	}
	if s := c2.Stats(); s.Entries != 0 {
		t.Fatalf("stats %+v", s)
	}
	if _, err := os.Stat(filepath.Join(root, "pkg", "notes")); err != nil {
		t.Fatal("a foreign directory was deleted")
	}
	dir, err := c2.Install(sha, fillN(3000))
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "textures", "1k", "a.png")); st.Size() != 2998 {
		t.Fatalf("reinstalled entry has %d bytes", st.Size())
	}
}

// Two caches on one directory (two bridges, one per Blender window) see each other's entries.
func TestSharedDirectory(t *testing.T) {
	root := t.TempDir()
	c1, c2 := mustOpen(t, root, 0), mustOpen(t, root, 0)
	sha := key("shared")
	dir, err := c1.Install(sha, fillN(500))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := c2.Lookup(sha)
	if !ok || got != dir {
		t.Fatalf("the other bridge's entry is not found: %q %v", got, ok)
	}
	if _, err := c2.Install(sha, func(string) error { t.Fatal("filled an entry the other bridge has"); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := c1.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, ok := c2.Lookup(sha); ok {
		t.Fatal("an entry removed by the other bridge is still a hit")
	}
	if s := c2.Stats(); s.Entries != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestConcurrentInstallFillsOnce(t *testing.T) {
	c := mustOpen(t, t.TempDir(), 1<<20)
	sha := key("d")
	var calls atomic.Int32
	var wg sync.WaitGroup
	dirs := make([]string, 8)
	errs := make([]error, 8)
	start := make(chan struct{})
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			dirs[i], errs[i] = c.Install(sha, func(dir string) error {
				calls.Add(1)
				time.Sleep(50 * time.Millisecond)
				return fillN(1000)(dir)
			})
		}()
	}
	close(start)
	wg.Wait()
	for i := range 8 {
		if errs[i] != nil || dirs[i] != dirs[0] {
			t.Fatalf("caller %d: %q %v (first got %q)", i, dirs[i], errs[i], dirs[0])
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("fill ran %d times", calls.Load())
	}
	if s := c.Stats(); s.Entries != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// When the first fill fails, a waiting caller tries itself instead of sharing the failure.
func TestConcurrentInstallRetriesAfterFailure(t *testing.T) {
	c := mustOpen(t, t.TempDir(), 1<<20)
	sha := key("e")
	started := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var firstErr error
	go func() {
		defer wg.Done()
		_, firstErr = c.Install(sha, func(string) error {
			close(started)
			time.Sleep(50 * time.Millisecond)
			return errors.New("disk hiccup")
		})
	}()
	<-started
	dir, err := c.Install(sha, fillN(100))
	wg.Wait()
	if firstErr == nil || err != nil || dir == "" {
		t.Fatalf("first %v, second %q %v", firstErr, dir, err)
	}
}

func TestLRUEvictionAndPins(t *testing.T) {
	c := mustOpen(t, t.TempDir(), 3000)
	a, b, cc, d, e := key("A"), key("B"), key("C"), key("D"), key("E")
	for _, s := range []string{a, b, cc} {
		if _, err := c.Install(s, fillN(1000)); err != nil {
			t.Fatal(err)
		}
	}
	c.Lookup(a) // a is now more recent than b and c
	if _, err := c.Install(d, fillN(1000)); err != nil {
		t.Fatal(err)
	}
	has := func(s string) bool { _, ok := c.Lookup(s); return ok }
	if has(b) || !has(a) || !has(cc) || !has(d) {
		t.Fatalf("after the 4th install: a=%v b=%v c=%v d=%v (b is the LRU one)", has(a), has(b), has(cc), has(d))
	}
	// Lookups above touched a, c, d in that order; pin a (the least recent).
	unpin := c.Pin(a)
	c.SetMax(1000)
	if !has(a) || has(cc) || has(d) {
		t.Fatalf("after SetMax: a=%v c=%v d=%v, want only the pinned a", has(a), has(cc), has(d))
	}
	unpin()
	unpin() // idempotent
	// The new entry is kept even when it alone exceeds the cap; unpinned a goes.
	c.SetMax(500)
	if has(a) {
		t.Fatal("unpinned entry above the cap survived SetMax")
	}
	if _, err := c.Install(e, fillN(1000)); err != nil {
		t.Fatal(err)
	}
	if !has(e) {
		t.Fatal("the entry just installed was evicted")
	}
	if s := c.Stats(); s.Entries != 1 || s.Bytes != 1000 {
		t.Fatalf("stats %+v", s)
	}
	if n := names(t, filepath.Join(c.dir, "tmp")); len(n) != 0 {
		t.Fatalf("evicted entries left in tmp: %v", n)
	}
}

func TestLRUOrderSurvivesRestart(t *testing.T) {
	root := t.TempDir()
	c := mustOpen(t, root, 0)
	a, b := key("a1"), key("b1")
	c.Install(a, fillN(1000))
	c.Install(b, fillN(1000))
	time.Sleep(10 * time.Millisecond)
	c.Lookup(a)
	c2 := mustOpen(t, root, 0)
	if s := c2.Stats(); s.Entries != 2 || s.Bytes != 2000 {
		t.Fatalf("stats after reopening %+v", s)
	}
	c2.SetMax(1500) // a smaller cap after a restart: the least recently used goes
	if _, ok := c2.Lookup(b); ok {
		t.Fatal("b survived, but a was used more recently")
	}
	if _, ok := c2.Lookup(a); !ok {
		t.Fatal("a was evicted")
	}
	if s := c2.Stats(); s.Entries != 1 || s.Bytes != 1000 {
		t.Fatalf("stats %+v", s)
	}
}

func TestClear(t *testing.T) {
	c := mustOpen(t, t.TempDir(), 0)
	a, b := key("x"), key("y")
	c.Install(a, fillN(100))
	c.Install(b, fillN(100))
	os.WriteFile(c.PartPath(a), []byte("part"), 0o600)
	os.WriteFile(c.PartPath(key("z")), []byte("part"), 0o600)
	os.WriteFile(c.PartPath(key("z"))+".etag", []byte(`"e"`), 0o600)
	os.WriteFile(c.PartPath(key("z"))+".lock", nil, 0o600)
	unpin := c.Pin(a)
	defer unpin()
	if err := c.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lookup(a); !ok {
		t.Fatal("pinned entry cleared")
	}
	if _, ok := c.Lookup(b); ok {
		t.Fatal("unpinned entry survived Clear")
	}
	if n := names(t, filepath.Join(c.dir, "downloads")); len(n) != 2 || n[0] != a+".zip.part" || n[1] != key("z")+".zip.part.lock" {
		t.Fatalf("downloads after Clear: %v (only the pinned package's part and the lock file stay)", n)
	}
}

func TestKeysMustBeSHA256(t *testing.T) {
	c := mustOpen(t, t.TempDir(), 0)
	for _, bad := range []string{"", "../../etc", key("a")[:63], key("a") + "0", "ABCDEF" + key("a")[6:], key("a")[:60] + "/../"} {
		if _, err := c.Install(bad, fillN(10)); fault.CodeOf(err) != CodeInvalidKey {
			t.Fatalf("%q: %v", bad, err)
		}
		if _, ok := c.Lookup(bad); ok {
			t.Fatalf("%q: lookup hit", bad)
		}
		if p := c.PartPath(bad); p != "" {
			t.Fatalf("%q: part path %q", bad, p)
		}
		c.Pin(bad)()
	}
}

// Discard removes an entry at once, even a pinned one: a tampered entry must not be served again.
func TestDiscardRemovesEvenAPinnedEntry(t *testing.T) {
	c, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	sha := hex.EncodeToString(bytes.Repeat([]byte{0xcc}, 32))
	if _, err := c.Install(sha, func(dir string) error { return os.WriteFile(filepath.Join(dir, "material.blend"), []byte("x"), 0o600) }); err != nil {
		t.Fatal(err)
	}
	unpin := c.Pin(sha)
	defer unpin()
	if err := c.Discard(sha); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lookup(sha); ok {
		t.Fatal("a discarded entry is still found")
	}
	if s := c.Stats(); s.Entries != 0 {
		t.Fatalf("stats after discard: %+v", s)
	}
	if fault.CodeOf(c.Discard("not-a-sha")) != CodeInvalidKey {
		t.Fatal("Discard took an invalid key")
	}
}
