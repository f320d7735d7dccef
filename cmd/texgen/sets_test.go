package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
	"github.com/octanebridge/octane-bridge/internal/texgen"
)

// catalogWith writes a catalog folder holding one v2 package of oak-wood whose manifest lists
// the 1k set texgen makes (edit changes the set before the manifest is written).
func catalogWith(t *testing.T, c texgen.Catalog, edit func(*shaderpkg.TextureSet)) (dir, setPath string, set []byte) {
	t.Helper()
	m, _ := c.Find("oak-wood")
	maps, err := texgen.Generate(m, 1024)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for name, b := range maps {
		fsys[name] = &fstest.MapFile{Data: b}
	}
	var zip bytes.Buffer
	ts, err := shaderpkg.WriteTextureSet(&zip, "1k", fsys)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&ts)
	}
	man := shaderpkg.Manifest{SchemaVersion: shaderpkg.SchemaVersionV2, ShaderID: "oak-wood", Version: "9.0.0",
		Name: "Oak", Description: "test", MaterialName: "OB_Oak", Category: "wood", Tags: []string{"wood"},
		MinBlender: "3.4", MinOctane: "2024.1", TextureSets: []shaderpkg.TextureSet{ts}}
	var base bytes.Buffer
	if _, err := shaderpkg.WritePackage(&base, man, fstest.MapFS{
		"material.blend": {Data: []byte("BLENDER-v300")}, "preview.webp": {Data: []byte("RIFF")},
	}); err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	pkg := "packages/oak-wood/9.0.0.zip"
	if err := os.MkdirAll(filepath.Join(dir, "packages", "oak-wood"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, pkg), base.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	idx, _ := json.Marshal(map[string]any{"shaders": []map[string]any{
		{"shader_id": "oak-wood", "version": "9.0.0", "package": pkg, "schema_version": 2},
	}})
	if err := os.WriteFile(filepath.Join(dir, "catalog.json"), idx, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, filepath.FromSlash(shaderpkg.TextureSetKey("oak-wood", "9.0.0", "1k"))), zip.Bytes()
}

func readCatalog(t *testing.T) texgen.Catalog {
	root := testenv.Root(t)
	c, err := texgen.ReadCatalog(filepath.Join(root, "catalog", "materials.json"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSetsRegeneratesTheManifestsBytes(t *testing.T) {
	c := readCatalog(t)
	dir, path, want := catalogWith(t, c, nil)
	var out strings.Builder
	if err := writeSets(c, dir, &out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the generated set is not the packed one (%v)", err)
	}
	if !strings.Contains(out.String(), "1 texture sets generated") {
		t.Fatalf("output: %s", out.String())
	}
	// A second run keeps what is there.
	out.Reset()
	if err := writeSets(c, dir, &out); err != nil || !strings.Contains(out.String(), "0 texture sets generated") {
		t.Fatalf("second run: %v %s", err, out.String())
	}
	// A set that is there but wrong is made again.
	if err := os.WriteFile(path, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeSets(c, dir, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Fatal("a tampered set was kept")
	}
}

// A manifest whose set the generator cannot reproduce fails loudly and writes nothing.
func TestSetsRefusesAManifestItCannotReproduce(t *testing.T) {
	c := readCatalog(t)
	dir, path, _ := catalogWith(t, c, func(s *shaderpkg.TextureSet) {
		s.Files[0].SHA256 = strings.Repeat("0", 64)
		s.SHA256 = strings.Repeat("1", 64)
	})
	err := writeSets(c, dir, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "committed manifest says") || !strings.Contains(err.Error(), "albedo.jpg") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a mismatching set was written (%v)", err)
	}
}

// The committed demo catalog: every textured material has a v2 version whose sets are 1k, 2k and
// 4k with the maps texgen makes for it (what the Blender build wired), every untextured one only
// v1; and one 4k download (base + set) is at least 40 MB, the import benchmark's package.
func TestCommittedCatalog(t *testing.T) {
	c := readCatalog(t)
	root := testenv.Root(t)
	dir := filepath.Join(root, "catalog", "demo")
	raw, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx index
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	v2 := map[string]bool{}
	var largest int64
	for _, e := range idx.Shaders {
		if e.SchemaVersion != shaderpkg.SchemaVersionV2 {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.Package)))
		if err != nil {
			t.Fatal(err)
		}
		pkg, err := shaderpkg.ReadPackageBytes(b)
		if err != nil {
			t.Fatalf("%s: %v", e.Package, err)
		}
		m, ok := c.Find(e.ShaderID)
		if !ok || m.Tex == nil {
			t.Errorf("%s: a v2 package of a material without a texture description", e.ShaderID)
			continue
		}
		v2[e.ShaderID] = true
		if got := pkg.Manifest.Resolutions(); !slices.Equal(got, texgen.Resolutions) {
			t.Errorf("%s: resolutions %v", e.ShaderID, got)
		}
		for _, set := range pkg.Manifest.TextureSets {
			var names []string
			for _, f := range set.Files {
				names = append(names, f.Path)
			}
			if !slices.Equal(names, m.Files()) {
				t.Errorf("%s %s: files %v, texgen makes %v", e.ShaderID, set.Resolution, names, m.Files())
			}
			if set.Resolution == "4k" {
				largest = max(largest, set.Size+pkg.Size)
			}
		}
	}
	for _, m := range c.Materials {
		if m.Tex != nil && !v2[m.ID] {
			t.Errorf("%s: textured but no v2 version in catalog.json", m.ID)
		}
	}
	if largest < 40<<20 {
		t.Errorf("largest 4k download is %d bytes, want one of at least 40 MiB", largest)
	}
}
