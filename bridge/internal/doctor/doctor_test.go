package doctor

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/httpx"
	"github.com/octanebridge/octane-bridge/bridge/internal/keychain"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// The doctor applies the bridge's rule for its cache directory and says why one is refused.
func TestDoctorReportsAnUnsafeOrMissingCacheDir(t *testing.T) {
	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{
		shared:                             "[FAIL] cache folder           CACHE_UNSAFE_DIR",
		"":                                 "[FAIL] cache folder           no per-user cache directory",
		filepath.Join(t.TempDir(), "mine"): "[ok  ] cache folder",
	} {
		var out bytes.Buffer
		Report(context.Background(), &out, Input{Version: "test", CacheDir: dir, Keychain: keychain.New("octane-bridge-test", t.TempDir()),
			Getenv: func(string) string { return "" }})
		if !strings.Contains(out.String(), want) {
			t.Errorf("cache dir %q: want %q in\n%s", dir, want, out.String())
		}
	}
}

// Against the real local stack every server check passes: the edge's /healthz, GoTrue's
// settings, a real WebSocket upgrade at Realtime and the clock (the edge's Date); the report says
// where the device key lives and names no secret. Against servers that do not answer, each of
// those checks fails in words, and the clock offset is unknown rather than guessed.
func TestDoctorAgainstALiveAndADeadStack(t *testing.T) {
	st := testenv.Stack(t)
	run := func(edge, supabase string, now time.Time) (string, int) {
		var out bytes.Buffer
		failed := Report(context.Background(), &out, Input{Version: "test", TrustedKIDs: []string{"local-1"},
			EdgeURL: edge, SupabaseURL: supabase, AnonKey: st.AnonKey, CacheDir: filepath.Join(t.TempDir(), "home"),
			HTTP: httpx.NewClient(5 * time.Second), Keychain: keychain.New("octane-bridge-test-doctor", t.TempDir()),
			Getenv: func(k string) string {
				return map[string]string{"HTTPS_PROXY": "http://user:secret@proxy.example:3128"}[k]
			},
			Now: func() time.Time { return now }})
		return out.String(), failed
	}
	live, failed := run(st.EdgeURL, st.SupabaseURL, time.Now())
	for _, want := range []string{"[ok  ] edge                   " + st.EdgeURL + " → 200", "[ok  ] supabase auth",
		"[ok  ] supabase realtime      " + st.SupabaseURL + " → 101", "[ok  ] clock", "[ok  ] certificates",
		"[ok  ] cache folder", "MB free", "keychain", "not paired with " + st.EdgeURL, "all checks passed",
		"http://***@proxy.example:3128"} {
		if !strings.Contains(live, want) {
			t.Errorf("live stack: want %q in\n%s", want, live)
		}
	}
	if failed != 0 || strings.Contains(live, st.AnonKey) || strings.Contains(live, "secret") {
		t.Errorf("live stack: %d failed, or a secret printed:\n%s", failed, live)
	}
	// A machine clock ten minutes fast fails the clock check with what to do.
	skewed, _ := run(st.EdgeURL, st.SupabaseURL, time.Now().Add(10*time.Minute))
	if !regexp.MustCompile(`\[FAIL\] clock +10m\d+s ahead of the server: set the system clock`).MatchString(skewed) {
		t.Errorf("skewed clock:\n%s", skewed)
	}
	dead, failed := run("http://127.0.0.1:1", "http://127.0.0.1:1", time.Now())
	for _, want := range []string{"[FAIL] edge                   http://127.0.0.1:1 unreachable", "[FAIL] supabase auth",
		"[FAIL] supabase realtime      http://127.0.0.1:1 unreachable", "offset unknown", "3 check(s) failed"} {
		if !strings.Contains(dead, want) {
			t.Errorf("dead stack: want %q in\n%s", want, dead)
		}
	}
	if failed != 3 || strings.Contains(dead, st.AnonKey) {
		t.Errorf("dead stack: %d failed, or the anon key printed:\n%s", failed, dead)
	}
}

// A folder with too little free space fails with what to do.
func TestDoctorFailsALowDiskCacheFolder(t *testing.T) {
	var out bytes.Buffer
	dir := filepath.Join(t.TempDir(), "home")
	Report(context.Background(), &out, Input{Version: "test", CacheDir: dir, Keychain: keychain.New("octane-bridge-test", t.TempDir()),
		Getenv: func(string) string { return "" }, FreeSpace: func(string) (uint64, error) { return 10 << 20, nil }})
	if !strings.Contains(out.String(), "[FAIL] cache folder") || !strings.Contains(out.String(), "10.0 MB free (too little: free some space") {
		t.Errorf("low disk:\n%s", out.String())
	}
}
