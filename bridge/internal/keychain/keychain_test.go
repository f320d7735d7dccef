package keychain

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// noKeychain is what a headless machine offers: every call fails.
type noKeychain struct{}

func (noKeychain) Get(string, string) (string, error) { return "", errors.New("no D-Bus session") }
func (noKeychain) Set(string, string, string) error   { return errors.New("no D-Bus session") }
func (noKeychain) Delete(string, string) error        { return errors.New("no D-Bus session") }

// memKeychain is a working OS keychain.
type memKeychain struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *memKeychain) Get(s, a string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[s+"/"+a]
	if !ok {
		return "", errors.New("secret not found in keyring")
	}
	return v, nil
}
func (k *memKeychain) Set(s, a, v string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[s+"/"+a] = v
	return nil
}
func (k *memKeychain) Delete(s, a string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, s+"/"+a)
	return nil
}

func fileStore(t *testing.T, dir string) *store {
	return &store{service: "octane-test", os: noKeychain{}, dir: dir}
}

func TestFallbackFileRoundTripAndPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "credentials")
	s := fileStore(t, dir)
	if _, err := s.Get("device:a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: %v", err)
	}
	if err := s.Set("device:a", "oct_live_secret"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("device:b", "other"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get("device:a"); err != nil || v != "oct_live_secret" {
		t.Fatalf("get %q %v", v, err)
	}
	// Another process (a new store over the same dir) reads it too.
	if v, err := fileStore(t, dir).Get("device:b"); err != nil || v != "other" {
		t.Fatalf("reopened %q %v", v, err)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, dir, 0o700)
		assertMode(t, filepath.Join(dir, "credentials.json"), 0o600)
		// Loosened by someone else: tightened again on the next read.
		os.Chmod(filepath.Join(dir, "credentials.json"), 0o644)
		if _, err := s.Get("device:a"); err != nil {
			t.Fatal(err)
		}
		assertMode(t, filepath.Join(dir, "credentials.json"), 0o600)
	}
	// No temp files are left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("dir holds %d entries", len(entries))
	}
	if err := s.Delete("device:a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("device:a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.Delete("device:a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if v, _ := s.Get("device:b"); v != "other" {
		t.Fatal("delete removed another account")
	}
}

func TestFallbackDirTightened(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes")
	}
	dir := filepath.Join(t.TempDir(), "creds")
	os.Mkdir(dir, 0o755)
	if err := fileStore(t, dir).Set("a", "b"); err != nil {
		t.Fatal(err)
	}
	assertMode(t, dir, 0o700)
}

func TestCorruptFileIsAnErrorAndSetRecovers(t *testing.T) {
	dir := t.TempDir()
	for _, junk := range []string{"{not json", "", `{"version":99,"secrets":{}}`, `[1,2]`, "\x00\xff"} {
		os.WriteFile(filepath.Join(dir, "credentials.json"), []byte(junk), 0o600)
		s := fileStore(t, dir)
		if _, err := s.Get("a"); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%q: get %v", junk, err)
		}
		if err := s.Set("a", "fresh"); err != nil {
			t.Fatalf("%q: set %v", junk, err)
		}
		if v, err := s.Get("a"); err != nil || v != "fresh" {
			t.Fatalf("%q: after set %q %v", junk, v, err)
		}
	}
	os.WriteFile(filepath.Join(dir, "credentials.json"), []byte("garbage"), 0o600)
	if err := fileStore(t, dir).Delete("a"); err != nil {
		t.Fatalf("delete over a corrupt file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "credentials.json")); !os.IsNotExist(err) {
		t.Fatal("corrupt file not removed by delete")
	}
}

func TestUnreadableFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be: unreadable as a file for any user, root included.
	os.Mkdir(filepath.Join(dir, "credentials.json"), 0o700)
	s := fileStore(t, dir)
	if _, err := s.Get("a"); err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("unreadable file: %v", err)
	}
	if err := s.Set("a", "b"); err == nil {
		t.Fatal("set over an unreadable file succeeded")
	}
}

func TestOSKeychainPreferredAndStaleFileCopyDropped(t *testing.T) {
	dir := t.TempDir()
	// Stored in the file while the keychain was away...
	if err := fileStore(t, dir).Set("a", "old"); err != nil {
		t.Fatal(err)
	}
	kc := &memKeychain{m: map[string]string{}}
	s := &store{service: "octane-test", os: kc, dir: dir}
	if v, err := s.Get("a"); err != nil || v != "old" {
		t.Fatalf("file copy not found when the keychain lacks it: %q %v", v, err)
	}
	// ...then the keychain is back: the secret moves there and the file forgets it.
	if err := s.Set("a", "new"); err != nil {
		t.Fatal(err)
	}
	if kc.m["octane-test/a"] != "new" {
		t.Fatal("not in the keychain")
	}
	if v, err := fileStore(t, dir).Get("a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stale file copy %q %v", v, err)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete %v", err)
	}
}

// TestNewOnThisMachine goes through the real go-keyring: with no keychain (CI, headless) it lands
// in the file; with one, in the keychain. Either way the secret round-trips.
func TestNewOnThisMachine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fallback")
	s := New("octane-bridge-keychain-test", dir)
	t.Cleanup(func() { s.Delete("acct") })
	if err := s.Set("acct", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get("acct"); err != nil || v != "s3cret" {
		t.Fatalf("%q %v", v, err)
	}
	if err := s.Delete("acct"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("acct"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete %v", err)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != want {
		t.Fatalf("%s mode %o, want %o", path, st.Mode().Perm(), want)
	}
}
