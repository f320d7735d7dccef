package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
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
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
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
