// Command edge-image builds the edge's container image without a Docker daemon or a base image:
// it cross-compiles the edge (CGO_ENABLED=0, -trimpath, static), puts it in one layer beside the
// CA certificates, a passwd/group naming the non-root user and an empty /tmp, and writes an OCI
// image layout directory (and, with -tar, a docker-archive tarball for `docker load`).
//
//	go run ./cmd/edge-image -out dist/edge-image [-tar dist/edge-image.tar] [-arch amd64]
//
// The image is FROM scratch: no shell, no package manager, nothing but what the edge needs. See
// docs/deploy.md ("Edge image and scaling") and docs/decisions.md.
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/octanebridge/octane-bridge/internal/cli"
)

// The image's fixed facts; the test checks each of them in the built image.
const (
	edgePackage = "github.com/octanebridge/octane-bridge/edge"
	binaryPath  = "/usr/local/bin/edge"
	caPath      = "/etc/ssl/certs/ca-certificates.crt"
	user        = "65532:65532" // numeric, so runAsNonRoot can verify it without a passwd lookup
	uid, gid    = 65532, 65532
	port        = "8787/tcp"
	defaultTag  = "octane-bridge/edge:latest"
	defaultRepo = "https://github.com/octanebridge/octane-bridge"
)

// env is the image's environment: listen on every interface inside the container, production
// mode unless the operator says otherwise (development secrets are then refused), temp files in /tmp.
var env = []string{
	"EDGE_ADDR=0.0.0.0:8787",
	"EDGE_ENV=production",
	"SSL_CERT_FILE=" + caPath,
	"TMPDIR=/tmp",
}

type options struct {
	Out, Tar, Arch, Tag, Revision, Source, CAFile string
	Created                                       time.Time
}

func main() {
	cli.Run("edge-image", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Stdout) })
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("edge-image", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.Out, "out", "dist/edge-image", "OCI image layout directory to write (replaced)")
	fs.StringVar(&o.Tar, "tar", "", "also write a docker-archive tarball here (for `docker load`)")
	fs.StringVar(&o.Arch, "arch", runtime.GOARCH, "target architecture (linux/<arch>)")
	fs.StringVar(&o.Tag, "tag", defaultTag, "image reference recorded in the layout and the tarball")
	fs.StringVar(&o.Revision, "revision", "", "org.opencontainers.image.revision (default: git HEAD, -dirty when the tree differs)")
	fs.StringVar(&o.Source, "source", defaultRepo, "org.opencontainers.image.source")
	fs.StringVar(&o.CAFile, "ca", caPath, "CA bundle copied into the image")
	created := fs.Int64("created", -1, "image creation time, Unix seconds (default: SOURCE_DATE_EPOCH, else the HEAD commit's time)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Revision == "" {
		// The commit, marked -dirty when tracked files differ from it: the binary is built from
		// the working tree, so the label must not claim a commit it does not match.
		if o.Revision = gitOutput(ctx, "rev-parse", "HEAD"); o.Revision != "" && gitOutput(ctx, "status", "--porcelain", "--untracked-files=no") != "" {
			o.Revision += "-dirty"
		}
	}
	if o.Revision == "" {
		o.Revision = "unknown"
	}
	o.Created = creationTime(ctx, *created)
	digest, err := Build(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "edge image %s (linux/%s, revision %s) → %s\n", digest, o.Arch, o.Revision, o.Out)
	if o.Tar != "" {
		fmt.Fprintf(stdout, "docker-archive → %s (docker load -i %s)\n", o.Tar, o.Tar)
	}
	return nil
}

// Build compiles the edge and writes the image; it returns the manifest digest.
func Build(ctx context.Context, o options) (v1.Hash, error) {
	tmp, err := os.MkdirTemp("", "edge-image-")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "edge")
	if err := compile(ctx, bin, o.Arch, o.Revision); err != nil {
		return v1.Hash{}, err
	}
	img, err := Image(bin, o)
	if err != nil {
		return v1.Hash{}, err
	}
	ref, err := name.NewTag(o.Tag)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("-tag: %w", err)
	}
	if err := os.RemoveAll(o.Out); err != nil {
		return v1.Hash{}, err
	}
	p, err := layout.Write(o.Out, empty.Index)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": ref.String(),
	})); err != nil {
		return v1.Hash{}, err
	}
	if o.Tar != "" {
		if err := os.MkdirAll(filepath.Dir(o.Tar), 0o755); err != nil {
			return v1.Hash{}, err
		}
		if err := tarball.WriteToFile(o.Tar, ref, img); err != nil {
			return v1.Hash{}, err
		}
	}
	return img.Digest()
}

// compile cross-compiles a static edge binary with the revision as its version.
func compile(ctx context.Context, out, arch, revision string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -buildid= -X main.version="+revision, "-o", out, edgePackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", edgePackage, err)
	}
	return nil
}

// Image assembles the image around a compiled edge binary.
func Image(bin string, o options) (v1.Image, error) {
	layer, err := rootLayer(bin, o.CAFile, o.Created)
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: o.Created}, CreatedBy: "cmd/edge-image: edge binary, CA certificates, passwd, /tmp",
		Comment: "built FROM scratch without a Docker daemon",
	}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", o.Arch
	cf.Created = v1.Time{Time: o.Created}
	cf.Author = "Octane Bridge"
	cf.Config = v1.Config{
		User:         user,
		Entrypoint:   []string{binaryPath},
		Env:          env,
		WorkingDir:   "/",
		ExposedPorts: map[string]struct{}{port: {}},
		StopSignal:   "SIGTERM",
		// Docker/ECS-style probe (the image has no shell or curl); Kubernetes uses httpGet probes.
		Healthcheck: &v1.HealthConfig{Test: []string{"CMD", binaryPath, "healthcheck"},
			Interval: 10 * time.Second, Timeout: 5 * time.Second, StartPeriod: 10 * time.Second, Retries: 3},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "octane-bridge-edge",
			"org.opencontainers.image.description": "Octane Bridge edge: import tokens, device pairing, API keys, Stripe, S3 presigning",
			"org.opencontainers.image.source":      o.Source,
			"org.opencontainers.image.revision":    o.Revision,
			"org.opencontainers.image.version":     o.Revision,
			"org.opencontainers.image.created":     o.Created.UTC().Format(time.RFC3339),
		},
	}
	return mutate.ConfigFile(img, cf)
}

// rootLayer is the image's only layer. Every entry has a fixed time and owner, so the same
// inputs give the same digest.
func rootLayer(bin, caFile string, created time.Time) (v1.Layer, error) {
	edge, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("CA certificates (-ca): %w", err)
	}
	if !bytes.Contains(ca, []byte("BEGIN CERTIFICATE")) {
		return nil, fmt.Errorf("CA certificates (-ca): %s holds no PEM certificate", caFile)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(p string, mode int64, owner int) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: mode, Uid: owner, Gid: owner, ModTime: created, Format: tar.FormatPAX})
	}
	file := func(p string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: mode, Size: int64(len(data)), ModTime: created, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	passwd := "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:" + strconv.Itoa(uid) + ":" + strconv.Itoa(gid) + ":nonroot:/home/nonroot:/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:" + strconv.Itoa(gid) + ":\n"
	steps := []error{
		dir("etc", 0o755, 0), file("etc/passwd", 0o644, []byte(passwd)), file("etc/group", 0o644, []byte(group)),
		dir("etc/ssl", 0o755, 0), dir("etc/ssl/certs", 0o755, 0), file(strings.TrimPrefix(caPath, "/"), 0o644, ca),
		// /tmp is the only place the edge may write; mount a tmpfs there with a read-only root.
		dir("tmp", 0o1777, 0),
		dir("home", 0o755, 0), dir("home/nonroot", 0o700, uid),
		dir("usr", 0o755, 0), dir("usr/local", 0o755, 0), dir("usr/local/bin", 0o755, 0),
		// Owned by root and not writable by the user the edge runs as.
		file(strings.TrimPrefix(binaryPath, "/"), 0o555, edge),
		tw.Close(),
	}
	if err := errors.Join(steps...); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
}

// creationTime is -created, else SOURCE_DATE_EPOCH, else the HEAD commit's time, else the epoch:
// never the wall clock, so rebuilding a commit gives the same image.
func creationTime(ctx context.Context, flagValue int64) time.Time {
	if flagValue >= 0 {
		return time.Unix(flagValue, 0).UTC()
	}
	for _, s := range []string{os.Getenv("SOURCE_DATE_EPOCH"), gitOutput(ctx, "log", "-1", "--format=%ct")} {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && n >= 0 {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Unix(0, 0).UTC()
}

func gitOutput(ctx context.Context, args ...string) string {
	out, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
