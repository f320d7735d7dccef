package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// TestEdgeImage builds the image the way `make image` does, reads it back from the OCI layout on
// disk, checks its configuration and files, then runs the edge binary taken out of the layer
// with the image's own environment (loopback address and a test database on top) as the image's
// user (uid 65532, when the test may switch to it) in an unwritable working directory, asks it
// for /healthz and /readyz, and stops it with SIGTERM.
func TestEdgeImage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image's linux binary runs only on linux; CI is linux")
	}
	dir := t.TempDir()
	out, tarPath := filepath.Join(dir, "layout"), filepath.Join(dir, "edge.tar")
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"-out", out, "-tar", tarPath, "-revision", "0123456789abcdef", "-created", "1764633600",
		"-source", "https://example.test/octane-bridge"}, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(stdout.String())

	p, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].MediaType != types.OCIManifestSchema1 ||
		im.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != defaultTag {
		t.Fatalf("index: %+v", im.Manifests)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
		t.Fatalf("manifest media type %s", mt)
	}

	t.Run("config", func(t *testing.T) {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		c := cf.Config
		if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
			t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
		}
		if c.User != "65532:65532" {
			t.Errorf("user %q: want the numeric non-root 65532:65532", c.User)
		}
		if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/edge"}) || len(c.Cmd) != 0 {
			t.Errorf("entrypoint %q cmd %q", c.Entrypoint, c.Cmd)
		}
		if hc := c.Healthcheck; hc == nil || !slices.Equal(hc.Test, []string{"CMD", "/usr/local/bin/edge", "healthcheck"}) || hc.Interval <= 0 {
			t.Errorf("healthcheck %+v", hc)
		}
		if _, ok := c.ExposedPorts["8787/tcp"]; !ok || len(c.ExposedPorts) != 1 {
			t.Errorf("exposed ports %v", c.ExposedPorts)
		}
		for _, want := range []string{"EDGE_ADDR=0.0.0.0:8787", "EDGE_ENV=production", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "TMPDIR=/tmp"} {
			if !slices.Contains(c.Env, want) {
				t.Errorf("env %q lacks %s", c.Env, want)
			}
		}
		for _, kv := range c.Env {
			if k, _, _ := strings.Cut(kv, "="); strings.Contains(k, "KEY") || strings.Contains(k, "SECRET") || k == "DATABASE_URL" {
				t.Errorf("the image carries a secret or a deployment setting: %s", k)
			}
		}
		if c.Labels["org.opencontainers.image.source"] != "https://example.test/octane-bridge" ||
			c.Labels["org.opencontainers.image.revision"] != "0123456789abcdef" {
			t.Errorf("labels %v", c.Labels)
		}
		if !cf.Created.Time.Equal(time.Unix(1764633600, 0)) {
			t.Errorf("created %v: want the given time, never the wall clock", cf.Created)
		}
	})

	files := layerFiles(t, img)
	t.Run("files", func(t *testing.T) {
		var names []string
		for n := range files {
			names = append(names, n)
		}
		slices.Sort(names)
		t.Logf("layer: %v", names)
		for _, n := range names {
			base := path.Base(n)
			if slices.Contains([]string{"sh", "bash", "ash", "dash", "busybox", "apk", "apt", "dpkg"}, base) {
				t.Errorf("the image holds %s: no shell or package manager belongs in it", n)
			}
			if h := files[n].hdr; h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
				t.Errorf("link %s", n)
			}
		}
		bin := files["usr/local/bin/edge"]
		if bin == nil || bin.hdr.Mode != 0o555 || bin.hdr.Uid != 0 {
			t.Fatalf("edge binary: %+v", bin)
		}
		if tmp := files["tmp/"]; tmp == nil || tmp.hdr.Mode != 0o1777 {
			t.Errorf("/tmp: %+v", tmp)
		}
		host, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
		if err != nil {
			t.Fatal(err)
		}
		if ca := files["etc/ssl/certs/ca-certificates.crt"]; ca == nil || !bytes.Equal(ca.data, host) {
			t.Error("the CA bundle is not the host's /etc/ssl/certs/ca-certificates.crt")
		}
		if pw := files["etc/passwd"]; pw == nil || !strings.Contains(string(pw.data), "nonroot:x:65532:65532:") {
			t.Error("/etc/passwd does not name uid 65532")
		}
		f, err := elf.NewFile(bytes.NewReader(bin.data))
		if err != nil {
			t.Fatal(err)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP || prog.Type == elf.PT_DYNAMIC {
				t.Fatalf("the edge binary is dynamically linked (%v); it must be static for a scratch image", prog.Type)
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Fatalf("imports %v", libs)
		}
	})

	t.Run("reproducible", func(t *testing.T) {
		bin := filepath.Join(t.TempDir(), "edge")
		if err := os.WriteFile(bin, files["usr/local/bin/edge"].data, 0o755); err != nil {
			t.Fatal(err)
		}
		again, err := Image(bin, options{Arch: runtime.GOARCH, Revision: "0123456789abcdef", Source: "https://example.test/octane-bridge",
			CAFile: caPath, Created: time.Unix(1764633600, 0).UTC()})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := img.Digest()
		if got, err := again.Digest(); err != nil || got != want {
			t.Fatalf("the same binary and options gave %s, the build %s (%v)", got, want, err)
		}
	})

	t.Run("docker archive", func(t *testing.T) {
		fromTar, err := tarball.ImageFromPath(tarPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := img.ConfigName()
		b, err := fromTar.ConfigName()
		if err != nil || a != b {
			t.Fatalf("docker-archive config %s, layout %s (%v)", b, a, err)
		}
	})

	t.Run("binary runs", func(t *testing.T) {
		runDir, err := os.MkdirTemp("", "edge-image-run-") // directly under the temp dir, so another uid can reach it
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(runDir) })
		if err := os.Chmod(runDir, 0o755); err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(runDir, "edge")
		if err := os.WriteFile(bin, files["usr/local/bin/edge"].data, 0o755); err != nil {
			t.Fatal(err)
		}
		v, err := exec.Command(bin, "--version").CombinedOutput()
		if err != nil || strings.TrimSpace(string(v)) != "edge 0123456789abcdef" {
			t.Fatalf("--version: %q %v", v, err)
		}
		cf, _ := img.ConfigFile()
		addr := testenv.FreeAddr(t)
		env := append(slices.Clone(cf.Config.Env), // the image's environment, then the deployment's
			"EDGE_ADDR="+addr, "EDGE_ENV=development", "METRICS_ADDR=off", "DATABASE_URL="+testenv.DB(t),
			"SITE_URL=http://127.0.0.1:3000", "SUPABASE_JWT_SECRET="+testenv.JWTSecret(),
			"IMPORT_TOKEN_KEYS=local-1:QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk=",
			"MANIFEST_SIGNING_KEYS=local-1:xOMHR+sPVfMYyW9V4nvECQMOWvot+sdrY3IOw8Leihg=",
			"API_KEY_PEPPER=SsbA9fgZNigpm2FmFuYqFZTkcAl57jhfoxXvX4zhHdY=")
		cmd := exec.Command(bin)
		cmd.Env, cmd.Dir = env, "/"
		if os.Geteuid() == 0 {
			// As the image runs it: uid/gid 65532, in a working directory it cannot write to.
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
		}
		logs, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		listening := make(chan struct{})
		go func() {
			sc, once := bufio.NewScanner(logs), false
			for sc.Scan() {
				if !once && strings.Contains(sc.Text(), `"msg":"listening"`) {
					once = true
					close(listening)
				}
			}
			exited <- cmd.Wait()
		}()
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		select {
		case <-listening:
		case err := <-exited:
			t.Fatalf("the edge exited before listening: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("the edge did not start listening")
		}
		for _, probe := range []struct{ path, status string }{{"/healthz", "ok"}, {"/readyz", "ready"}} {
			resp, err := http.Get("http://" + addr + probe.path)
			if err != nil {
				t.Fatal(err)
			}
			var body struct{ Status string }
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || body.Status != probe.status {
				t.Fatalf("%s: %d %+v %v", probe.path, resp.StatusCode, body, err)
			}
		}
		// The image's HEALTHCHECK command, as the runtime would run it inside the container.
		hc := exec.Command(bin, "healthcheck")
		hc.Env = env
		if out, err := hc.CombinedOutput(); err != nil || !strings.Contains(string(out), "/healthz ok") {
			t.Fatalf("healthcheck: %q %v", out, err)
		}
		// A stop signal drains and exits 0.
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("exit after the stop signal: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the edge did not stop")
		}
	})
}

type entry struct {
	hdr  *tar.Header
	data []byte
}

// layerFiles reads every entry of every layer (the image has one).
func layerFiles(t *testing.T, img v1.Image) map[string]*entry {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1", len(layers))
	}
	if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
		t.Fatalf("layer media type %s", mt)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]*entry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = &entry{hdr: h, data: b}
	}
	return files
}
