//go:build blender

// Tests that need a real Blender. scripts/suites/packages.sh runs them with -tags blender.
package blendvet

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

func needBlender(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("BLENDER")
	if bin == "" {
		bin = "blender"
	}
	p, err := exec.LookPath(bin)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("blender is required in CI (apt-get install blender)")
		}
		t.Skip("blender not found: apt-get install blender, or set BLENDER=/path/to/blender")
	}
	return p
}

func blender(t *testing.T, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-b", "--factory-startup", "-noaudio", "--disable-autoexec",
		"--python-exit-code", "1"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("blender %v: %v\n%s", args, err, out)
	}
}

// packageFrom packs a fixture folder written by make_blends.py into a verified package.
func packageFrom(t *testing.T, dir string) *shaderpkg.Package {
	t.Helper()
	src := fstest.MapFS{"preview.webp": {Data: []byte("RIFF0000WEBPVP8 ")}}
	for _, rel := range []string{"material.blend", "textures/1k/albedo.png"} {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		src[rel] = &fstest.MapFile{Data: b}
	}
	m := shaderpkg.Manifest{ShaderID: filepath.Base(strings.ReplaceAll(dir, "_", "-")), Version: "1.0.0",
		Name: "Fixture", MaterialName: "OB_Good", Category: "fx", MinBlender: "3.4", MinOctane: "2024.1"}
	return writeAndRead(t, m, src)
}

// writeAndRead writes the package and reads it back, so vetting gets one that passed verification.
func writeAndRead(t *testing.T, m shaderpkg.Manifest, src fs.FS) *shaderpkg.Package {
	t.Helper()
	var buf bytes.Buffer
	if _, err := shaderpkg.WritePackage(&buf, m, src); err != nil {
		t.Fatal(err)
	}
	p, err := shaderpkg.ReadPackageBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVetRejectsHostileBlends(t *testing.T) {
	bin := needBlender(t)
	dir := t.TempDir()
	blender(t, bin, "-P", "testdata/make_blends.py", "--", dir)

	cases := []struct {
		fixture string
		want    codes.Code // problem code; "" = accepted
		mention string     // the datablock the problem must name
	}{
		{"good", "", ""},
		{"script_module", codes.ScriptModule, `text "autorun.py"`},
		{"scripted_driver", codes.ScriptedDriver, `material "OB_Good"`},
		{"traversal", codes.PathOutside, `image "albedo.png"`},
		{"absolute_path", codes.PathOutside, `image "albedo.png"`},
		{"missing_texture", codes.MissingTexture, `image "albedo.png"`},
		{"two_materials", codes.MaterialCount, ""},
		{"garbage", codes.BlendUnreadable, ""},
		// One Octane graph rule broken per case (make_blends.py says how).
		{"octane_unknown_node", codes.OctaneUnknownNode, `node "Legacy material"`},
		{"octane_inputs", codes.OctaneInputs, `node "Octane material"`},
		{"octane_outputs", codes.OctaneOutputs, `node "Octane albedo"`},
		{"octane_value_lost", codes.OctaneValueLost, `socket "Dielectric IOR (old)"`},
		{"octane_value_type", codes.OctaneValueType, `socket "Coating"`},
		{"octane_value_not_sent", codes.OctaneValueNotSent, `socket "Transmission"`},
		{"octane_link_pin", codes.OctaneLinkPin, `socket "Metallic"`},
		{"octane_link_foreign", codes.OctaneLinkForeign, `socket "Specular"`},
		{"octane_image_unbound", codes.OctaneImageUnbound, `node "Octane albedo"`},
		{"octane_image_outside", codes.OctaneImageOutside, `node "Octane albedo"`},
		{"octane_no_material", codes.OctaneNoMaterial, `node "Octane Output"`},
		{"octane_compat_version", codes.OctaneCompatVersion, `node "Octane material"`},
		{"octane_recipe", codes.OctaneRecipe, `socket "Roughness"`},
	}
	garbage := filepath.Join(dir, "garbage")
	os.MkdirAll(filepath.Join(garbage, "textures", "1k"), 0o755)
	os.WriteFile(filepath.Join(garbage, "material.blend"), []byte("BLENDER-v304 but not really"), 0o644)
	os.WriteFile(filepath.Join(garbage, "textures", "1k", "albedo.png"), []byte("png"), 0o644)
	pkgs := make([]*shaderpkg.Package, len(cases))
	for i, c := range cases {
		pkgs[i] = packageFrom(t, filepath.Join(dir, c.fixture))
	}
	res, err := Vetter{Blender: bin}.Vet(context.Background(), pkgs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/tmp/octane-vet-pwned"); err == nil {
		t.Fatal("a script in a vetted .blend ran")
	}
	for i, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			probs := res[i]
			if c.want == "" {
				if len(probs) != 0 {
					t.Fatalf("good package rejected: %v", probs)
				}
				return
			}
			if strings.HasPrefix(string(c.want), "OCTANE_") {
				// Each broken rule is reported under its own code. The only other Octane codes
				// allowed: the recipe no longer matching the broken tree, and the stray socket
				// that carries a lost value not being one of the real inputs.
				for _, p := range probs {
					extra := p.Code == codes.OctaneRecipe || (c.want == codes.OctaneValueLost && p.Code == codes.OctaneInputs)
					if strings.HasPrefix(string(p.Code), "OCTANE_") && p.Code != c.want && !extra {
						t.Errorf("%s also reported %s: %s", c.fixture, p.Code, p)
					}
				}
			}
			for _, p := range probs {
				if p.Code == c.want && strings.Contains(p.Datablock, c.mention) {
					if p.Message == "" || p.File != "material.blend" || !strings.Contains(p.String(), p.Package) {
						t.Fatalf("problem is not in plain words with file and datablock: %+v", p)
					}
					t.Logf("rejected: %s", p)
					return
				}
			}
			t.Fatalf("want %s naming %s, got %v", c.want, c.mention, probs)
		})
	}
}

// v2PackageFrom packs a fixture folder as a schema_version 2 package: the base, and one 1k set
// holding textures/1k/albedo.png as albedo.png, returned as the fs.FS vetting lays out.
func v2PackageFrom(t *testing.T, dir string) (*shaderpkg.Package, fs.FS) {
	t.Helper()
	albedo, err := os.ReadFile(filepath.Join(dir, "textures", "1k", "albedo.png"))
	if err != nil {
		t.Fatal(err)
	}
	var setZip bytes.Buffer
	set, err := shaderpkg.WriteTextureSet(&setZip, "1k", fstest.MapFS{"albedo.png": {Data: albedo}})
	if err != nil {
		t.Fatal(err)
	}
	blend, err := os.ReadFile(filepath.Join(dir, "material.blend"))
	if err != nil {
		t.Fatal(err)
	}
	src := fstest.MapFS{"preview.webp": {Data: []byte("RIFF0000WEBPVP8 ")}, "material.blend": {Data: blend}}
	m := shaderpkg.Manifest{SchemaVersion: shaderpkg.SchemaVersionV2, ShaderID: "v2-" + strings.ReplaceAll(filepath.Base(dir), "_", "-"),
		Version: "1.0.0", Name: "Fixture", MaterialName: "OB_Good", Category: "fx", MinBlender: "3.4", MinOctane: "2024.1",
		TextureSets: []shaderpkg.TextureSet{set}}
	zr, err := zip.NewReader(bytes.NewReader(setZip.Bytes()), int64(setZip.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return writeAndRead(t, m, src), zr
}

// A v2 .blend is vetted with a texture set laid out as textures/<name> beside it: images at
// //textures/<name> pass; a path with a resolution in it, or no set laid out, is refused.
func TestVetV2TexturePaths(t *testing.T) {
	bin := needBlender(t)
	dir := t.TempDir()
	blender(t, bin, "-P", "testdata/make_blends.py", "--", dir)
	good, goodSet := v2PackageFrom(t, filepath.Join(dir, "v2_good"))
	withRes, withResSet := v2PackageFrom(t, filepath.Join(dir, "v2_resolution_path"))
	noSet, _ := v2PackageFrom(t, filepath.Join(dir, "v2_good"))
	res, err := Vetter{Blender: bin}.VetWithTextures(context.Background(), []*shaderpkg.Package{good, withRes, noSet}, []fs.FS{goodSet, withResSet, nil})
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0]) != 0 {
		t.Fatalf("good v2 package rejected: %v", res[0])
	}
	codesOf := func(probs []Problem) string {
		var c []string
		for _, p := range probs {
			c = append(c, string(p.Code))
		}
		return strings.Join(c, ",")
	}
	if got := codesOf(res[1]); !strings.Contains(got, "UNLISTED_TEXTURE") || !strings.Contains(got, "MISSING_TEXTURE") {
		t.Fatalf("a v2 image with a resolution in its path: %v", res[1])
	}
	if got := codesOf(res[2]); !strings.Contains(got, "MISSING_TEXTURE") {
		t.Fatalf("a v2 package vetted without its textures: %v", res[2])
	}
}

func renderMean(t *testing.T, bin, blend string, strip bool) float64 {
	t.Helper()
	out := filepath.Join(t.TempDir(), "render.json")
	args := []string{"-P", "testdata/render_fallback.py", "--", blend, out}
	if strip {
		args = append(args, "--strip-fallback")
	}
	blender(t, bin, args...)
	var r struct{ Mean float64 }
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r.Mean
}

// The Principled fallback must render in stock Cycles; without it the sphere is black.
func TestFallbackRendersInCycles(t *testing.T) {
	bin := needBlender(t)
	zipPath, err := testenv.DemoPackage("oak-wood")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatalf("demo package missing (run catalog/generate.sh): %v", err)
	}
	p, err := shaderpkg.ReadPackageBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := extract(p, nil, dir); err != nil {
		t.Fatal(err)
	}
	blend := filepath.Join(dir, "material.blend")
	lit := renderMean(t, bin, blend, false)
	dark := renderMean(t, bin, blend, true)
	t.Logf("mean brightness with fallback %.3f, Octane graph only %.3f", lit, dark)
	if lit < 0.08 {
		t.Fatalf("fallback renders black (mean %.3f)", lit)
	}
	if dark > lit/4 {
		t.Fatalf("control render without fallback is not dark (%.3f vs %.3f): the check proves nothing", dark, lit)
	}
}

// Every committed demo package passes vetting (make dev publishes them with --no-vet); a v2
// base with the largest of its texture sets present beside it (the larger ones may be generated).
func TestDemoCatalogPassesVetting(t *testing.T) {
	bin := needBlender(t)
	root := filepath.Join("..", "..", "..", "catalog", "demo", "packages")
	v1, _ := filepath.Glob(filepath.Join(root, "*.zip"))
	if len(v1) < 48 {
		t.Fatalf("demo catalog has %d packages, want at least 48 (run catalog/generate.sh)", len(v1))
	}
	v2, _ := filepath.Glob(filepath.Join(root, "*", "*.zip"))
	zips := append(v1, v2...)
	pkgs := make([]*shaderpkg.Package, len(zips))
	textures := make([]fs.FS, len(zips))
	for i, z := range zips {
		data, err := os.ReadFile(z)
		if err != nil {
			t.Fatal(err)
		}
		if pkgs[i], err = shaderpkg.ReadPackageBytes(data); err != nil {
			t.Fatalf("%s: %v", z, err)
		}
		m := pkgs[i].Manifest
		if len(m.TextureSets) == 0 {
			continue
		}
		// The largest set, as publishing vets (a smaller one standing in would hide a set that
		// texgen failed to make).
		set := m.TextureSets[len(m.TextureSets)-1]
		f, err := os.Open(filepath.Join(strings.TrimSuffix(z, ".zip"), "textures-"+set.Resolution+".zip"))
		if err != nil {
			t.Errorf("%s: its largest texture set is not beside it (go run ./cmd/texgen sets): %v", z, err)
			continue
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if err := shaderpkg.ReadTextureSet(f, st.Size(), set); err != nil {
			t.Errorf("%s: %s set: %v", z, set.Resolution, err)
		}
		if textures[i], err = zip.NewReader(f, set.Size); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Vetter{Blender: bin}.VetWithTextures(context.Background(), pkgs, textures)
	if err != nil {
		t.Fatal(err)
	}
	for i, probs := range res {
		for _, p := range probs {
			t.Errorf("%s: %s", filepath.Base(zips[i]), p)
		}
	}
}
