//go:build blender

// Needs a real Blender: scripts/suites/packages.sh runs it with -tags blender.
package publishing

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// An uploaded package that passes every step is vetted in headless Blender, signed and
// registered; the job says published and names the version.
func TestWorkerPublishesAVettedPackage(t *testing.T) {
	bin := needBlender(t)
	f := newWorkerFixture(t)
	f.w.Blender = bin
	ctx := context.Background()
	id, key := f.upload(t, demoZip(t, "oak-wood"), nil)
	if _, err := f.w.RunOne(ctx); err != nil {
		t.Fatal(err)
	}
	r := f.job(t, id)
	if r.Status != "published" || r.Step != "done" || r.Code != nil || len(r.problems()) != 0 {
		t.Fatalf("job %+v", r)
	}
	var sig string
	if err := f.pool.QueryRow(ctx, `select v.manifest_sig from public.shader_versions v join public.shaders s on s.id = v.shader_id
		where s.slug = 'oak-wood' and s.published`).Scan(&sig); err != nil || sig == "" {
		t.Fatalf("no signed version row: %v", err)
	}
	if ok, _ := f.store.Exists(ctx, key); ok {
		t.Fatal("the upload was not removed after publishing")
	}
}

// A package refused by vetting has the job's code PACKAGE_UNSAFE, and each problem line its
// own vetting code (the page shows that code's sentence under the line).
func TestWorkerRefusesAVetProblemWithItsCode(t *testing.T) {
	bin := needBlender(t)
	demo, err := shaderpkg.ReadPackageBytes(demoZip(t, "oak-wood"))
	if err != nil {
		t.Fatal(err)
	}
	// The same files, with a manifest naming a material the .blend does not hold.
	src := fstest.MapFS{}
	for _, f := range demo.Manifest.Files {
		b, err := demo.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		src[f.Path] = &fstest.MapFile{Data: b}
	}
	m := demo.Manifest
	m.MaterialName = "OB_Elsewhere"
	var pkg bytes.Buffer
	if _, err := shaderpkg.WritePackage(&pkg, m, src); err != nil {
		t.Fatal(err)
	}
	f := newWorkerFixture(t)
	f.w.Blender = bin
	id, _ := f.upload(t, pkg.Bytes(), nil)
	if _, err := f.w.RunOne(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := f.job(t, id)
	if r.Status != "refused" || r.Step != "vet" || r.Code == nil || *r.Code != string(codes.PackageUnsafe) {
		t.Fatalf("job %+v", r)
	}
	probs, got := r.problems(), r.problemCodes()
	if !slices.Equal(got, []string{string(codes.MaterialName)}) || !strings.Contains(probs[0], "["+string(codes.MaterialName)+"]") {
		t.Fatalf("problem lines %q with codes %q", probs, got)
	}
}

func needBlender(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("BLENDER")
	if bin == "" {
		bin = "blender"
	}
	if _, err := exec.LookPath(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("blender is required in CI")
		}
		t.Skip("blender not found")
	}
	return bin
}

// A v2 demo package uploaded as a bundle (its folder of publish pack's output, zipped) is
// vetted with its largest texture set, published, and its sets stored and registered.
func TestWorkerPublishesAV2Bundle(t *testing.T) {
	bin := needBlender(t)
	root := testenv.Root(t)
	pkgs := filepath.Join(root, "catalog", "demo", "packages")
	bases, _ := filepath.Glob(filepath.Join(pkgs, "*", "*.zip"))
	if len(bases) == 0 {
		t.Fatal("no v2 package in catalog/demo (packages/<slug>/<version>.zip)")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(path string) {
		rel, _ := filepath.Rel(pkgs, path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (the suite generates the sets: go run ./cmd/texgen sets catalog/demo)", err)
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: filepath.ToSlash(rel), Method: zip.Store})
		w.Write(data)
	}
	add(bases[0])
	base, _ := shaderpkg.ReadPackageBytes(mustReadFile(t, bases[0]))
	m := base.Manifest
	for _, res := range m.Resolutions() {
		add(filepath.Join(strings.TrimSuffix(bases[0], ".zip"), "textures-"+res+".zip"))
	}
	zw.Close()

	f := newWorkerFixture(t)
	f.w.Blender = bin
	ctx := context.Background()
	id, _ := f.upload(t, buf.Bytes(), nil)
	if _, err := f.w.RunOne(ctx); err != nil {
		t.Fatal(err)
	}
	if r := f.job(t, id); r.Status != "published" || r.Code != nil {
		t.Fatalf("job %+v", r)
	}
	var n int
	if err := f.pool.QueryRow(ctx, `select count(*) from public.texture_sets t join public.shader_versions v on v.id = t.version_id
		join public.shaders s on s.id = v.shader_id where s.slug = $1 and v.version = $2`, m.ShaderID, m.Version).Scan(&n); err != nil || n != len(m.TextureSets) || n == 0 {
		t.Fatalf("%d texture_sets rows for %d sets (%v)", n, len(m.TextureSets), err)
	}
	for _, res := range m.Resolutions() {
		if ok, err := f.store.Exists(ctx, shaderpkg.TextureSetKey(m.ShaderID, m.Version, res)); err != nil || !ok {
			t.Fatalf("%s set not stored (%v)", res, err)
		}
	}
}

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
