package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/agent"
	"github.com/octanebridge/octane-bridge/bridge/internal/cache"
	"github.com/octanebridge/octane-bridge/bridge/internal/doctor"
	"github.com/octanebridge/octane-bridge/bridge/internal/httpx"
	"github.com/octanebridge/octane-bridge/bridge/internal/keychain"
	"github.com/octanebridge/octane-bridge/bridge/internal/logfile"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// Set at build time (scripts/build-bridge.sh): -X main.version=… -X main.trustedKeys=kid:<b64 pub>,…
// Release builds pin the production delivery keys, local builds the local stack's key; the bridge
// never takes trusted keys from the network or the environment.
var (
	version     = "dev"
	trustedKeys = ""
	release     = "" // "1" in release builds (scripts/build-bridge.sh with BRIDGE_RELEASE=1)
)

const usage = `usage: octane-bridge [command]
  (none)    serve the Blender add-on over stdin/stdout (started by the add-on)
  doctor    print a diagnostics report (versions, endpoints, proxy, cache, pairing)
  version   print the version`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	trusted, err := shaderpkg.ParsePublicKeys(trustedKeys)
	if err != nil && trustedKeys != "" {
		return fmt.Errorf("built with invalid trusted keys: %w", err)
	}
	if err := checkReleaseKeys(release == "1", trusted); err != nil {
		return err
	}
	cacheDir := getenv("OCTANE_BRIDGE_CACHE_DIR")
	var cacheErr error
	if cacheDir == "" {
		cacheDir, cacheErr = agent.CacheDirDefault()
	}
	kc := keychain.New("octane-bridge", filepath.Join(cacheDir, "credentials"))
	hc := httpx.NewClient(30 * time.Second)
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "version", "--version":
		fmt.Fprintf(stdout, "octane-bridge %s (trusted keys: %s)\n", version, strings.Join(slices.Sorted(maps.Keys(trusted)), ", "))
		return nil
	case "doctor":
		in := doctor.Input{Version: version, TrustedKIDs: slices.Collect(maps.Keys(trusted)), SiteURL: getenv("OCTANE_SITE_URL"),
			EdgeURL: getenv("OCTANE_EDGE_URL"), SupabaseURL: getenv("OCTANE_SUPABASE_URL"), AnonKey: getenv("OCTANE_SUPABASE_ANON_KEY"),
			CacheDir: cacheDir, PackagesDir: getenv("OCTANE_CACHE_DIR"), LogPath: filepath.Join(cacheDir, "logs", "bridge.log"),
			HTTP: hc, Keychain: kc, Getenv: getenv}
		if in.SiteURL != "" {
			in.Resolve = func(ctx context.Context) (string, string, string, error) {
				return agent.ResolveEndpoints(ctx, hc, in.SiteURL, in.EdgeURL, in.SupabaseURL, in.AnonKey)
			}
		}
		failed := doctor.Report(ctx, stdout, in)
		if failed > 0 {
			return fmt.Errorf("%d check(s) failed", failed)
		}
		return nil
	case "":
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}

	// The cache directory also holds the log and the credential file: it must be this user's own.
	if cacheErr != nil {
		return cacheErr
	}
	if err := cache.CheckDir(cacheDir); err != nil {
		return fmt.Errorf("refusing the cache directory: %w", err)
	}
	lw, err := logfile.Open(filepath.Join(cacheDir, "logs", "bridge.log"), 5<<20, 3)
	if err != nil {
		return fmt.Errorf("cannot open the log file: %w", err)
	}
	defer lw.Close()
	var level slog.LevelVar
	if err := level.UnmarshalText([]byte(getenv("OCTANE_BRIDGE_LOG_LEVEL"))); err != nil {
		level.Set(slog.LevelInfo)
	}
	log := slog.New(slog.NewJSONHandler(io.MultiWriter(lw, levelFilter{stderr}), &slog.HandlerOptions{Level: &level}))
	log.Info("start", "version", version, "pid", os.Getpid(), "trusted_keys", len(trusted))
	if len(trusted) == 0 {
		log.Warn("this build has no trusted delivery keys; every import will be refused")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go watchParent(ctx, cancel, log)
	a := agent.New(agent.Config{Version: version, Trusted: trusted, In: stdin, Out: stdout, Log: log, Keychain: kc,
		HTTP: hc, Download: httpx.NewClient(0), CacheDir: cacheDir, Level: &level})
	err = a.Run(ctx)
	log.Info("exit", "err", err)
	return err
}

// levelFilter passes only warnings and errors to stderr (the add-on logs them); the file gets all.
type levelFilter struct{ w io.Writer }

func (f levelFilter) Write(p []byte) (int, error) {
	if strings.Contains(string(p[:min(len(p), 80)]), `"level":"WARN"`) || strings.Contains(string(p[:min(len(p), 80)]), `"level":"ERROR"`) {
		return f.w.Write(p)
	}
	return len(p), nil
}

// checkReleaseKeys refuses a release build that trusts the committed development key: its
// private half is in the repository (shaderpkg.LocalDevSeed), so anyone could sign deliveries
// such a bridge accepts. scripts/build-bridge.sh refuses to build one; this is the second lock.
func checkReleaseKeys(release bool, trusted map[string]ed25519.PublicKey) error {
	if !release {
		return nil
	}
	if len(trusted) == 0 {
		return errors.New("this release build pins no trusted delivery keys")
	}
	// The public key as a constant: deriving it from the seed would link the seed into every bridge.
	devKeys, err := shaderpkg.ParsePublicKeys(shaderpkg.LocalDevPublicKey)
	if err != nil {
		return err
	}
	for kid, dev := range devKeys {
		for k, pub := range trusted {
			if k == kid || pub.Equal(dev) {
				return fmt.Errorf("this release build trusts the development delivery key (%s); rebuild with the production keys", k)
			}
		}
	}
	return nil
}
