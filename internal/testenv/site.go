package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The site of a stack is `next start` of a production build of frontend/. Next inlines
// NEXT_PUBLIC_* (the Supabase and edge URLs) into the browser and server bundles at build time,
// so a build for :54321/:8787 cannot talk to a stand-in on another port. A stack on the local
// stack's default URLs uses the tree's own build (frontend/.next, rebuilt when a source is newer);
// any other stack gets a copy of frontend/ under .local/e2e/web-<stand-in port>-<edge port>/
// built with its URLs and reused until a frontend source changes.

// Names never part of a site build's inputs.
var (
	siteCopySkip  = map[string]bool{"node_modules": true, ".next": true, "tests": true, "tsconfig.tsbuildinfo": true, "COORDINATION.md": true, ".vitest-report.json": true}
	siteTreeSkip  = map[string]bool{"node_modules": true, ".next": true, "tests": true, "public": true, "tsconfig.tsbuildinfo": true, ".vitest-report.json": true}
	siteBuildTime = 10 * time.Minute
)

func startSite(t TB, root string, dotenv, common map[string]string, addr string, l logs) *Process {
	t.Helper()
	env := mergeMaps(dotenv, common)
	dir, err := siteBuild(t, root, dotenv, env)
	if err != nil {
		t.Fatalf("build the site: %v", err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &Process{Name: "web", URL: "http://" + addr, bin: filepath.Join(root, "node_modules", ".bin", "next"),
		args: []string{"start", "-H", host, "-p", port}, dir: dir, env: mergeEnv(env, map[string]string{"NODE_ENV": "production"}),
		ready: "/.well-known/octane-bridge.json", wait: 90 * time.Second, log: l.log, file: l.file("web")}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// siteBuild returns a folder holding a production build of frontend/ for env's public URLs.
func siteBuild(t TB, root string, dotenv, env map[string]string) (string, error) {
	frontend := filepath.Join(root, "frontend")
	public := map[string]string{}
	for k, v := range env {
		if strings.HasPrefix(k, "NEXT_PUBLIC_") {
			public[k] = v
		}
	}
	if public["NEXT_PUBLIC_SUPABASE_URL"] == dotenv["NEXT_PUBLIC_SUPABASE_URL"] && public["NEXT_PUBLIC_EDGE_URL"] == dotenv["NEXT_PUBLIC_EDGE_URL"] {
		// The tree's own build, which make dev serves too: built with the local stack's values.
		buildEnv := mergeMaps(env)
		for k, v := range dotenv {
			if strings.HasPrefix(k, "NEXT_PUBLIC_") {
				buildEnv[k] = v
			}
		}
		id, err := os.Stat(filepath.Join(frontend, ".next", "BUILD_ID"))
		if err == nil && os.Getenv("E2E_REBUILD") != "1" && !newerThan(frontend, siteTreeSkip, id.ModTime()) {
			return frontend, nil
		}
		t.Log("building the web app (frontend/.next)")
		return frontend, nextBuild(root, frontend, buildEnv)
	}
	h := sha256.New()
	if err := walkFiles(frontend, siteCopySkip, func(p string, info fs.FileInfo) error {
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", rel, info.Size(), info.ModTime().UnixNano())
		return nil
	}); err != nil {
		return "", err
	}
	keys := make([]string, 0, len(public))
	for k := range public {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, public[k])
	}
	stamp := hex.EncodeToString(h.Sum(nil))
	port := func(u string) string { p, _ := url.Parse(u); return p.Port() }
	local := getenv("OCTANE_LOCAL", filepath.Join(root, ".local"))
	base := filepath.Join(local, "e2e", "web-"+port(public["NEXT_PUBLIC_SUPABASE_URL"])+"-"+port(public["NEXT_PUBLIC_EDGE_URL"]))
	dir := filepath.Join(base, "frontend")
	stampFile := filepath.Join(base, "stamp")
	if b, err := os.ReadFile(stampFile); err == nil && string(b) == stamp {
		if _, err := os.Stat(filepath.Join(dir, ".next", "BUILD_ID")); err == nil {
			return dir, nil
		}
	}
	rel, _ := filepath.Rel(root, base)
	t.Logf("building the web app for %s and %s (cached in %s)", public["NEXT_PUBLIC_SUPABASE_URL"], public["NEXT_PUBLIC_EDGE_URL"], rel)
	if err := os.RemoveAll(base); err != nil {
		return "", err
	}
	if err := copyTree(frontend, dir, siteCopySkip); err != nil {
		return "", err
	}
	// The copy sits under .local/; Turbopack's root must still be the repository (node_modules).
	cfgPath := filepath.Join(dir, "next.config.ts")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		return "", err
	}
	rootJSON, _ := json.Marshal(root)
	patched := strings.ReplaceAll(string(cfg), `path.resolve(__dirname, "..")`, string(rootJSON))
	if patched == string(cfg) {
		return "", fmt.Errorf("frontend/next.config.ts changed shape: cannot point the copy's Turbopack root at the repository")
	}
	if err := os.WriteFile(cfgPath, []byte(patched), 0o644); err != nil {
		return "", err
	}
	if err := nextBuild(root, dir, env); err != nil {
		return "", err
	}
	return dir, os.WriteFile(stampFile, []byte(stamp), 0o644)
}

func nextBuild(root, dir string, env map[string]string) error {
	ctx, cancel := context.WithTimeout(context.Background(), siteBuildTime)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "node_modules", ".bin", "next"), "build")
	cmd.Dir = dir
	cmd.Env = mergeEnv(env, map[string]string{"NEXT_TELEMETRY_DISABLED": "1"})
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("next build in %s: %v\n%s", dir, err, tail(out, 30))
	}
	return nil
}

// walkTree calls fn for everything under dir in lexical order (dir itself first), leaving out
// the names in skip and what is below them.
func walkTree(dir string, skip map[string]bool, fn func(string, fs.DirEntry) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && skip[d.Name()] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return fn(p, d)
	})
}

// walkFiles calls fn for every regular file under dir in lexical order, skipping names in skip.
func walkFiles(dir string, skip map[string]bool, fn func(string, fs.FileInfo) error) error {
	return walkTree(dir, skip, func(p string, d fs.DirEntry) error {
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return fn(p, info)
	})
}

var errNewer = fmt.Errorf("newer")

func newerThan(dir string, skip map[string]bool, t time.Time) bool {
	err := walkFiles(dir, skip, func(_ string, info fs.FileInfo) error {
		if info.ModTime().After(t) {
			return errNewer
		}
		return nil
	})
	return err != nil
}

// copyTree copies dir to dst (files, folders, symbolic links), leaving out names in skip.
func copyTree(dir, dst string, skip map[string]bool) error {
	return walkTree(dir, skip, func(p string, d fs.DirEntry) error {
		rel, _ := filepath.Rel(dir, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			return copyFile(p, to, info.Mode().Perm())
		}
		return nil
	})
}

func copyFile(from, to string, mode fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
