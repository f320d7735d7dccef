// Package doctor prints the bridge's diagnostics report (`octane-bridge doctor`, also run by the
// add-on's Help panel): versions, the service addresses and whether the edge and Realtime answer,
// proxy and certificate settings, the clock's offset to the server, the keychain, the cache
// folders and their free space, and whether this machine is paired. It never prints secrets.
package doctor

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/cache"
	"github.com/octanebridge/octane-bridge/bridge/internal/diskspace"
	"github.com/octanebridge/octane-bridge/bridge/internal/httpx"
	"github.com/octanebridge/octane-bridge/bridge/internal/keychain"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// Input is what the report looks at.
type Input struct {
	Version     string
	TrustedKIDs []string
	SiteURL     string
	EdgeURL     string
	SupabaseURL string
	AnonKey     string
	// Resolve learns missing service addresses from the site (the bridge's own rule, as at
	// hello); nil when there is nothing to resolve from.
	Resolve     func(ctx context.Context) (edge, supabase, anonKey string, err error)
	CacheDir    string // the bridge's own folder: log, credentials (and packages by default)
	PackagesDir string // the add-on's package cache when it chose another folder ("" = CacheDir)
	LogPath     string
	HTTP        *http.Client
	Keychain    keychain.Store
	Getenv      func(string) string
	Now         func() time.Time             // default time.Now
	FreeSpace   func(string) (uint64, error) // default diskspace.Free
}

// MinFree is the free space below which the cache folder's check fails: a 4k package and its
// extracted files need a few hundred MB.
const MinFree = 512 << 20

// Report writes the diagnostics to w and returns how many checks failed.
func Report(ctx context.Context, w io.Writer, in Input) int {
	if in.Now == nil {
		in.Now = time.Now
	}
	if in.FreeSpace == nil {
		in.FreeSpace = diskspace.Free
	}
	failed := 0
	line := func(ok bool, name, detail string) {
		mark := "ok  "
		if !ok {
			mark, failed = "FAIL", failed+1
		}
		fmt.Fprintf(w, "  [%s] %-22s %s\n", mark, name, detail)
	}
	info := func(name, detail string) { fmt.Fprintf(w, "  %-29s %s\n", name, detail) }
	fmt.Fprintf(w, "octane-bridge %s (%s, %s/%s)\n", in.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	kids := append([]string(nil), in.TrustedKIDs...)
	sort.Strings(kids)
	line(len(kids) > 0, "trusted delivery keys", strings.Join(kids, ", ")+map[bool]string{true: "", false: "none: this build cannot verify packages"}[len(kids) > 0])

	fmt.Fprintln(w, "network settings")
	for _, k := range []string{"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR"} {
		v := in.Getenv(k)
		if v == "" {
			v = in.Getenv(strings.ToLower(k))
		}
		if v == "" {
			v = "(not set)"
		}
		info(k, redactUserinfo(v))
	}
	if pool, err := x509.SystemCertPool(); err != nil {
		line(false, "certificates", "the system certificate store cannot be read: "+err.Error())
	} else {
		line(true, "certificates", fmt.Sprintf("system store (%d authorities)%s", len(pool.Subjects()), //nolint:staticcheck // a count, not a trust decision
			map[bool]string{true: ", plus SSL_CERT_FILE / SSL_CERT_DIR", false: ""}[in.Getenv("SSL_CERT_FILE")+in.Getenv("SSL_CERT_DIR") != ""]))
	}

	fmt.Fprintln(w, "servers")
	if in.SiteURL != "" {
		info("site", in.SiteURL)
	}
	if (in.EdgeURL == "" || in.SupabaseURL == "" || in.AnonKey == "") && in.Resolve != nil {
		edge, supa, key, err := in.Resolve(ctx)
		if err != nil {
			line(false, "service addresses", err.Error())
		} else {
			in.EdgeURL, in.SupabaseURL, in.AnonKey = cmp.Or(in.EdgeURL, edge), cmp.Or(in.SupabaseURL, supa), cmp.Or(in.AnonKey, key)
			line(true, "service addresses", "from "+in.SiteURL+"/.well-known/octane-bridge.json")
		}
	}
	var serverDate string
	check := func(name, base, path string, header http.Header, want func(int) bool) {
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
		for k, v := range header {
			req.Header[k] = v
		}
		start := time.Now()
		resp, err := in.HTTP.Do(req)
		via := httpx.ProxyReport(base)
		if err != nil {
			line(false, name, fmt.Sprintf("%s unreachable (%v) via %s", base, httpx.RedactError(err), via))
			return
		}
		resp.Body.Close()
		if serverDate == "" {
			serverDate = resp.Header.Get("Date")
		}
		line(want(resp.StatusCode), name, fmt.Sprintf("%s → %d in %d ms via %s", base, resp.StatusCode, time.Since(start).Milliseconds(), via))
	}
	below500 := func(s int) bool { return s < 500 }
	check("edge", in.EdgeURL, "/healthz", nil, func(s int) bool { return s == http.StatusOK })
	check("supabase auth", in.SupabaseURL, "/auth/v1/settings", http.Header{"Apikey": {in.AnonKey}}, below500)
	// Realtime: a real WebSocket upgrade (101), as the bridge's channel client makes it.
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	check("supabase realtime", in.SupabaseURL, "/realtime/v1/websocket?vsn=1.0.0&apikey="+url.QueryEscape(in.AnonKey), http.Header{
		"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key": {base64.StdEncoding.EncodeToString(key)}}, func(s int) bool { return s == http.StatusSwitchingProtocols })
	if t, err := http.ParseTime(serverDate); err == nil {
		off := in.Now().Sub(t).Round(time.Second)
		// The server's Date has one-second resolution; deliveries are judged by the server's clock,
		// but sign-in tokens and certificates are not.
		line(off <= shaderpkg.ClockSkew && off >= -shaderpkg.ClockSkew, "clock", clockDetail(off))
	} else {
		info("clock", "offset unknown (no answer from the server)")
	}

	fmt.Fprintln(w, "this computer")
	dirCheck := func(name, dir string) {
		if err := cacheDirOK(dir); err != nil {
			line(false, name, err.Error())
			return
		}
		entries, bytes := dirUsage(filepath.Join(dir, "pkg"))
		detail := fmt.Sprintf("%s: %d packages, %s", dir, entries, mb(bytes))
		ok := writable(dir)
		if !ok {
			detail += "; not writable"
		}
		if free, err := in.FreeSpace(dir); err == nil {
			detail += fmt.Sprintf(", %s free", mb(int64(min(free, 1<<62))))
			if free < MinFree {
				ok = false
				detail += " (too little: free some space or lower the cache size)"
			}
		}
		line(ok, name, detail)
	}
	dirCheck("cache folder", in.CacheDir)
	if in.PackagesDir != "" && filepath.Clean(in.PackagesDir) != filepath.Clean(in.CacheDir) {
		dirCheck("package cache", in.PackagesDir)
	}
	info("log file", in.LogPath)
	if in.Keychain != nil {
		desc, _ := keychain.Backend(in.Keychain)
		info("keychain", "device key kept in "+desc)
	}
	if in.EdgeURL != "" && in.Keychain != nil {
		_, err := in.Keychain.Get("device:" + strings.TrimRight(in.EdgeURL, "/"))
		switch {
		case err == nil:
			info("pairing", "paired with "+in.EdgeURL)
		case errors.Is(err, keychain.ErrNotFound):
			info("pairing", "not paired with "+in.EdgeURL)
		default:
			line(false, "keychain", "the device key cannot be read: "+err.Error())
		}
	}
	if failed == 0 {
		fmt.Fprintln(w, "all checks passed")
	} else {
		fmt.Fprintf(w, "%d check(s) failed\n", failed)
	}
	return failed
}

func clockDetail(off time.Duration) string {
	switch {
	case off == 0:
		return "in step with the server"
	case off > 0:
		return fmt.Sprintf("%s ahead of the server%s", off, fixClock(off))
	default:
		return fmt.Sprintf("%s behind the server%s", -off, fixClock(off))
	}
}

func fixClock(off time.Duration) string {
	if off <= shaderpkg.ClockSkew && off >= -shaderpkg.ClockSkew {
		return ""
	}
	return ": set the system clock to update automatically"
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

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
