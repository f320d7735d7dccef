// Package doctor prints the bridge's diagnostics report (`octane-bridge doctor`): versions, the
// endpoints and whether they answer, proxy settings, the cache and whether this machine is paired.
// It never prints secrets.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/cache"
	"github.com/octanebridge/octane-bridge/bridge/internal/httpx"
	"github.com/octanebridge/octane-bridge/bridge/internal/keychain"
)

// Input is what the report looks at.
type Input struct {
	Version     string
	TrustedKIDs []string
	EdgeURL     string
	SupabaseURL string
	AnonKey     string
	CacheDir    string
	LogPath     string
	HTTP        *http.Client
	Keychain    keychain.Store
	Getenv      func(string) string
}

// Report writes the diagnostics to w and returns how many checks failed.
func Report(ctx context.Context, w io.Writer, in Input) int {
	failed := 0
	line := func(ok bool, name, detail string) {
		mark := "ok  "
		if !ok {
			mark, failed = "FAIL", failed+1
		}
		fmt.Fprintf(w, "  [%s] %-22s %s\n", mark, name, detail)
	}
	fmt.Fprintf(w, "octane-bridge %s (%s, %s/%s)\n", in.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	kids := append([]string(nil), in.TrustedKIDs...)
	sort.Strings(kids)
	line(len(kids) > 0, "trusted delivery keys", strings.Join(kids, ", ")+map[bool]string{true: "", false: "none: this build cannot verify packages"}[len(kids) > 0])

	fmt.Fprintln(w, "proxy")
	for _, k := range []string{"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"} {
		v := in.Getenv(k)
		if v == "" {
			v = in.Getenv(strings.ToLower(k))
		}
		if v == "" {
			v = "(not set)"
		}
		fmt.Fprintf(w, "  %-12s %s\n", k, redactUserinfo(v))
	}

	fmt.Fprintln(w, "endpoints")
	check := func(name, base, path string, header http.Header) {
		if base == "" {
			line(false, name, "not configured")
			return
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+path, nil)
		if err != nil {
			line(false, name, err.Error())
			return
		}
		req.Header = header
		start := time.Now()
		resp, err := in.HTTP.Do(req)
		via := httpx.ProxyReport(base)
		if err != nil {
			line(false, name, fmt.Sprintf("%s unreachable (%v) via %s", base, err, via))
			return
		}
		resp.Body.Close()
		ok := resp.StatusCode < 500
		line(ok, name, fmt.Sprintf("%s → %d in %d ms via %s", base, resp.StatusCode, time.Since(start).Milliseconds(), via))
	}
	check("edge", in.EdgeURL, "/healthz", nil)
	check("supabase auth", in.SupabaseURL, "/auth/v1/settings", http.Header{"apikey": {in.AnonKey}})
	check("supabase realtime", in.SupabaseURL, "/realtime/v1/websocket", http.Header{"apikey": {in.AnonKey}})

	fmt.Fprintln(w, "local state")
	if err := cacheDirOK(in.CacheDir); err != nil {
		line(false, "cache", err.Error())
	} else {
		entries, bytes := dirUsage(filepath.Join(in.CacheDir, "pkg"))
		line(writable(in.CacheDir), "cache", fmt.Sprintf("%s: %d packages, %.1f MB", in.CacheDir, entries, float64(bytes)/(1<<20)))
	}
	fmt.Fprintf(w, "  %-29s %s\n", "log file", in.LogPath)
	if in.EdgeURL != "" {
		_, err := in.Keychain.Get("device:" + strings.TrimRight(in.EdgeURL, "/"))
		switch {
		case err == nil:
			fmt.Fprintf(w, "  %-29s %s\n", "pairing", "paired with "+in.EdgeURL)
		case err == keychain.ErrNotFound:
			fmt.Fprintf(w, "  %-29s %s\n", "pairing", "not paired with "+in.EdgeURL)
		default:
			line(false, "keychain", err.Error())
		}
	}
	if failed == 0 {
		fmt.Fprintln(w, "all checks passed")
	} else {
		fmt.Fprintf(w, "%d check(s) failed\n", failed)
	}
	return failed
}

func redactUserinfo(v string) string {
	if i := strings.Index(v, "@"); i > 0 {
		if j := strings.Index(v, "://"); j >= 0 && j < i {
			return v[:j+3] + "***@" + v[i+1:]
		}
	}
	return v
}

func dirUsage(dir string) (entries int, bytes int64) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0
	}
	for _, de := range des {
		if !de.IsDir() {
			continue
		}
		entries++
		_ = filepath.WalkDir(filepath.Join(dir, de.Name()), func(_ string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if fi, err := d.Info(); err == nil {
					bytes += fi.Size()
				}
			}
			return nil
		})
	}
	return entries, bytes
}

// cacheDirOK is the bridge's own rule for its directory: this user's, private, absolute.
func cacheDirOK(dir string) error {
	if dir == "" {
		return errors.New("no per-user cache directory: set OCTANE_BRIDGE_CACHE_DIR")
	}
	return cache.CheckDir(dir)
}

func writable(dir string) bool {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false
	}
	f, err := os.CreateTemp(dir, ".doctor-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}
