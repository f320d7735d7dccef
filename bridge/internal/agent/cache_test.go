package agent

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/keychain"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// The default cache is per user; without a per-user location the bridge refuses to start rather
// than use the system temp directory, which every local user can write to.
func TestCacheDirDefaultIsPerUserNeverTheTempDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the XDG_CACHE_HOME / HOME rules are Linux's") // CI runs on Linux
	}
	t.Setenv("XDG_CACHE_HOME", "/home/artist/.cache")
	if d, err := CacheDirDefault(); err != nil || d != "/home/artist/.cache/octane-bridge" {
		t.Fatalf("default %q, %v", d, err)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	d, err := CacheDirDefault()
	if err == nil {
		t.Fatalf("no per-user cache dir, yet %q was chosen", d)
	}
	if d != "" {
		t.Fatalf("fell back to %q", d)
	}
}

// A cache directory other users may write to is refused at hello, before anything is read from it.
func TestHelloRefusesASharedCacheDir(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits") // CI runs on Linux
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	ad := startAgent(t, ctx, keychain.New("octane-bridge-test-"+t.Name(), t.TempDir()), t.TempDir(), stdio.Hello{
		AddonVersion: "0.1.0", BlenderVersion: "4.2.0", Platform: "linux", SiteURL: "http://127.0.0.1:1",
		EdgeURL: "http://127.0.0.1:1", SupabaseURL: "http://127.0.0.1:1", SupabaseAnonKey: "anon", CacheDir: shared})
	if e := ad.expect("error", 10*time.Second, nil); e["code"] != string(codes.CacheError) {
		t.Fatalf("hello with a world-writable cache: %v", e)
	}
	if _, err := os.Stat(filepath.Join(shared, "pkg")); err == nil {
		t.Fatal("the refused cache directory was written to")
	}
	ad.stop()
}

// Against the real stack: a package in the cache that another local user changed is caught by
// the signed file list, discarded and downloaded again; Blender only ever sees the signed bytes.
func TestTamperedCacheEntryIsDownloadedAgain(t *testing.T) {
	st := newStack(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kc := keychain.New("octane-bridge-test-"+t.Name(), t.TempDir())
	cacheDir := filepath.Join(t.TempDir(), "cache")
	ad := startAgent(t, ctx, kc, cacheDir, st.hello(cacheDir))
	ad.expect("hello", 5*time.Second, nil)
	device, imp := pairAndImportOnce(t, st, ad)
	blend := imp["blend_path"].(string)
	// Another user (or malware) swaps the material for one of the same size.
	signed := testenv.TamperFile(t, blend)

	id2 := st.createImport(t, device)
	ad.expect("progress", 30*time.Second, func(m map[string]any) bool { return m["import_id"] == id2 && m["stage"] == "downloading" })
	imp2 := answerImport(t, ad, id2)
	ad.expect("import_status", 10*time.Second, func(m map[string]any) bool { return m["import_id"] == id2 && m["status"] == "done" })
	got, err := os.ReadFile(imp2["blend_path"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, signed) {
		t.Fatal("Blender was handed the tampered material")
	}
	ad.stop()
}
