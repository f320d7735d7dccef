package doctor

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/bridge/internal/keychain"
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
		shared:                             "[FAIL] cache                  CACHE_UNSAFE_DIR",
		"":                                 "[FAIL] cache                  no per-user cache directory",
		filepath.Join(t.TempDir(), "mine"): "[ok  ] cache",
	} {
		var out bytes.Buffer
		Report(context.Background(), &out, Input{Version: "test", CacheDir: dir, Keychain: keychain.New("octane-bridge-test", t.TempDir()),
			Getenv: func(string) string { return "" }})
		if !strings.Contains(out.String(), want) {
			t.Errorf("cache dir %q: want %q in\n%s", dir, want, out.String())
		}
	}
}
