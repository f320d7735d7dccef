package publishing

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// The operator page uploads one zip, so a v2 base arrives without its texture sets: refused at
// validation, saying so, and nothing reaches the catalog (v2 is published with the CLI).
func TestWorkerRefusesV2BaseWithoutSets(t *testing.T) {
	f := newWorkerFixture(t)
	ctx := context.Background()
	var set bytes.Buffer
	ts, err := shaderpkg.WriteTextureSet(&set, "1k", fstest.MapFS{"albedo.jpg": {Data: []byte("jpg")}})
	if err != nil {
		t.Fatal(err)
	}
	m := shaderpkg.Manifest{SchemaVersion: shaderpkg.SchemaVersionV2, ShaderID: "v2-upload", Version: "1.0.0", Name: "V2",
		MaterialName: "OB_V2", Category: "metal", MinBlender: "3.4", MinOctane: "2024.1", TextureSets: []shaderpkg.TextureSet{ts}}
	var base bytes.Buffer
	if _, err := shaderpkg.WritePackage(&base, m, fstest.MapFS{"material.blend": {Data: []byte("BLENDER")},
		"preview.webp": {Data: []byte("RIFF0000WEBPVP8 ")}}); err != nil {
		t.Fatal(err)
	}
	id, _ := f.upload(t, base.Bytes(), nil)
	if ran, err := f.w.RunOne(ctx); err != nil || !ran {
		t.Fatalf("RunOne: ran=%v err=%v", ran, err)
	}
	r := f.job(t, id)
	if r.Status != "refused" || r.Step != "validate" || r.Code == nil || *r.Code != "PACKAGE_INVALID" ||
		!strings.Contains(strings.Join(r.problems(), "\n"), "PACKAGE_MISSING_FILE: the 1k texture set was not given") ||
		// the missing set has its shaderpkg code, the placeholder preview the step's
		!slices.Equal(r.problemCodes(), []string{string(codes.PackageMissingFile), string(codes.PackageInvalid)}) {
		t.Fatalf("job %+v", r)
	}
	// Two problems of one package: the summary counts packages, not problems.
	if !slices.ContainsFunc(r.Log, func(l logLine) bool { return l.Text == "1 of 1 packages are invalid" }) {
		t.Errorf("no summary line counting the one invalid package: %+v", r.Log)
	}
	var n int
	f.pool.QueryRow(ctx, `select count(*) from public.shaders where slug = 'v2-upload'`).Scan(&n)
	if n != 0 {
		t.Fatal("a v2 base without its sets reached the catalog")
	}
}

// v2Bundle is what the operator uploads for a v2 version: the shader's folder of publish pack's
// output zipped (slug/1.0.0.zip and slug/1.0.0/textures-<res>.zip), plus extra entries.
func v2Bundle(t *testing.T, slug string, extra map[string][]byte) []byte {
	t.Helper()
	webp, err := os.ReadFile(filepath.Join("..", "shaderpkg", "preview", "testdata", "preview-384.webp"))
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string][]byte{}
	m := shaderpkg.Manifest{SchemaVersion: shaderpkg.SchemaVersionV2, ShaderID: slug, Version: "1.0.0", Name: "V2",
		MaterialName: "OB_V2", Category: "metal", MinBlender: "3.4", MinOctane: "2024.1"}
	for _, res := range []string{"1k", "2k"} {
		var set bytes.Buffer
		ts, err := shaderpkg.WriteTextureSet(&set, res, fstest.MapFS{"albedo.jpg": {Data: []byte("jpg " + res)}})
		if err != nil {
			t.Fatal(err)
		}
		m.TextureSets = append(m.TextureSets, ts)
		entries[slug+"/1.0.0/textures-"+res+".zip"] = set.Bytes()
	}
	var base bytes.Buffer
	if _, err := shaderpkg.WritePackage(&base, m, fstest.MapFS{"material.blend": {Data: []byte("BLENDER")}, "preview.webp": {Data: webp}}); err != nil {
		t.Fatal(err)
	}
	entries[slug+"/1.0.0.zip"] = base.Bytes()
	maps.Copy(entries, extra)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		w, _ := zw.Create(name)
		w.Write(entries[name])
	}
	zw.Close()
	return buf.Bytes()
}

// A bundle's base becomes the item and its sets a folder beside it, which validate reads like
// the CLI's; the folder is gone after cleanup.
func TestItemFromUploadReadsABundle(t *testing.T) {
	it, cleanup, err := itemFromUpload("upload.zip", v2Bundle(t, "v2-bundle", nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate([]*Item{it}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if it.Src != "upload.zip: v2-bundle/1.0.0.zip" || len(it.sets) != 2 || it.Pkg.Manifest.SchemaVersion != 2 {
		t.Fatalf("item %+v", it)
	}
	cleanup()
	if _, err := os.Stat(it.SetsDir); !os.IsNotExist(err) {
		t.Fatalf("sets folder left behind: %v", err)
	}
	// A plain package is taken as it is.
	plain := demoZip(t, "oak-wood")
	if it, _, err := itemFromUpload("p.zip", plain); err != nil || it.SetsDir != "" || !bytes.Equal(it.Data, plain) {
		t.Fatalf("plain package: %v %+v", err, it)
	}
}

// Bundles that are not one version's base and sets, or whose set does not match the base's
// manifest, are refused at validation with their lines, each with its most precise code;
// nothing reaches the catalog.
func TestWorkerRefusesBadBundles(t *testing.T) {
	f := newWorkerFixture(t)
	ctx := context.Background()
	other := v2Bundle(t, "v2-other", nil)
	zr, _ := zip.NewReader(bytes.NewReader(other), int64(len(other)))
	rc, _ := zr.Open("v2-other/1.0.0/textures-2k.zip") // a valid set, not the 1k one
	otherSet, _ := io.ReadAll(rc)
	cases := []struct {
		name, code, line string
		lineCode         codes.Code // the problem line's code
		bundle           []byte
	}{
		{"two bases", "PACKAGE_INVALID", "found 2 bases", codes.PackageInvalid, v2Bundle(t, "v2-bad", map[string][]byte{"v2-bad/0.9.0.zip": []byte("x")})},
		{"set of another base", "PACKAGE_INVALID", "is not beside the base", codes.PackageInvalid, v2Bundle(t, "v2-bad", map[string][]byte{"v2-bad/0.9.0/textures-4k.zip": otherSet})},
		{"stray file", "PACKAGE_INVALID", `"v2-bad/run.py" is neither a package nor a texture set`, codes.PackageInvalid, v2Bundle(t, "v2-bad", map[string][]byte{"v2-bad/run.py": []byte("x")})},
		{"zip bomb", "PACKAGE_INVALID", "compression ratio above 200:1", codes.PackageInvalid, v2Bundle(t, "v2-bad", map[string][]byte{"v2-bad/1.0.0/textures-4k.zip": make([]byte, 4<<20)})},
		{"set swapped", "PACKAGE_INVALID", "1k texture set: PACKAGE_HASH_MISMATCH", codes.PackageHashMismatch, v2Bundle(t, "v2-bad", map[string][]byte{"v2-bad/1.0.0/textures-1k.zip": otherSet})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, _ := f.upload(t, c.bundle, nil)
			if ran, err := f.w.RunOne(ctx); err != nil || !ran {
				t.Fatalf("RunOne: ran=%v err=%v", ran, err)
			}
			r := f.job(t, id)
			if r.Status != "refused" || r.Step != "validate" || r.Code == nil || *r.Code != c.code || !strings.Contains(strings.Join(r.problems(), "\n"), c.line) {
				t.Fatalf("job %+v", r)
			}
			if got := r.problemCodes(); len(got) != 1 || got[0] != string(c.lineCode) {
				t.Fatalf("problem codes %q, want [%s]", got, c.lineCode)
			}
			var n int
			f.pool.QueryRow(ctx, `select count(*) from public.shaders where slug = 'v2-bad'`).Scan(&n)
			if n != 0 {
				t.Fatal("a refused bundle reached the catalog")
			}
		})
	}
}
