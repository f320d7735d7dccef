package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// writeSource writes a package source folder: files by slash path, plus meta.json.
func writeSource(t *testing.T, files map[string][]byte, meta string) string {
	t.Helper()
	src := t.TempDir()
	for p, b := range files {
		full := filepath.Join(src, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, metaFile), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	return src
}

const oakV2Meta = `{"schema_version":2,"shader_id":"oak","version":"1.1.0","name":"Oak","description":"d",
	"material_name":"OB_Oak","category":"wood","tags":["wood"],"min_blender":"3.4","min_octane":"2024.1","is_free":true}`

func oakV2Files() map[string][]byte {
	files := map[string][]byte{"material.blend": []byte("BLENDER"), "preview.webp": preview384}
	for _, res := range []string{"1k", "2k", "16k"} {
		files["textures/"+res+"/albedo.jpg"] = []byte("jpg " + res)
		files["textures/"+res+"/normal.png"] = []byte("png " + res)
	}
	return files
}

// A v2 source folder packs into the base at the bucket's key and one set zip per resolution
// beside it (ascending by size, reproducible); catalog.json lists the sets, and keeps the
// shader's v1 row beside the v2 one.
func TestPackV2SourceFolder(t *testing.T) {
	out := t.TempDir()
	v1 := writeSource(t, map[string][]byte{"material.blend": []byte("BLENDER"), "preview.webp": preview384,
		"textures/1k/albedo.jpg": []byte("jpg")}, strings.Replace(strings.Replace(oakV2Meta, `"schema_version":2,`, "", 1), "1.1.0", "1.0.0", 1))
	src := writeSource(t, oakV2Files(), oakV2Meta)
	// A set an earlier pack of the version wrote and this one does not have is removed.
	os.MkdirAll(filepath.Join(out, "packages", "oak", "1.1.0"), 0o755)
	os.WriteFile(filepath.Join(out, "packages", "oak", "1.1.0", "textures-8k.zip"), []byte("old"), 0o644)
	// Packed v2 first: the shader's v1 row still comes first in catalog.json.
	if err := packDirs([]string{src, v1}, out, io.Discard); err != nil {
		t.Fatal(err)
	}
	idx, err := readIndex(filepath.Join(out, "catalog.json"))
	if err != nil || len(idx.Shaders) != 2 {
		t.Fatalf("index %+v %v", idx, err)
	}
	e := idx.Shaders[1]
	if idx.Shaders[0].Version != "1.0.0" || e.Version != "1.1.0" || e.SchemaVersion != 2 || e.Package != "packages/oak/1.1.0.zip" {
		t.Fatalf("rows %+v", idx.Shaders)
	}
	base := mustRead(t, filepath.Join(out, "packages", "oak", "1.1.0.zip"))
	p, err := shaderpkg.ReadPackageBytes(base)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Manifest
	if m.SchemaVersion != 2 || len(m.Files) != 2 || strings.Join(m.Resolutions(), " ") != "1k 2k 16k" || p.SHA256 != e.SHA256 {
		t.Fatalf("manifest %+v", m)
	}
	if len(e.TextureSets) != 3 {
		t.Fatalf("catalog sets %+v", e.TextureSets)
	}
	for i, set := range m.TextureSets {
		b := mustRead(t, filepath.Join(out, filepath.FromSlash(shaderpkg.TextureSetKey("oak", "1.1.0", set.Resolution))))
		if err := shaderpkg.ReadTextureSet(bytes.NewReader(b), int64(len(b)), set); err != nil {
			t.Fatalf("%s: %v", set.Resolution, err)
		}
		if e.TextureSets[i] != (catalogSet{set.Resolution, set.SHA256, set.Size}) {
			t.Fatalf("catalog row %+v, manifest %+v", e.TextureSets[i], set)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "packages", "oak", "1.1.0", "textures-8k.zip")); !os.IsNotExist(err) {
		t.Fatalf("stale set kept: %v", err)
	}
	// Reproducible: packing again writes the same bytes.
	out2 := t.TempDir()
	if err := packDirs([]string{src}, out2, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(base, mustRead(t, filepath.Join(out2, "packages", "oak", "1.1.0.zip"))) ||
		!bytes.Equal(mustRead(t, filepath.Join(out, "packages", "oak", "1.1.0", "textures-16k.zip")),
			mustRead(t, filepath.Join(out2, "packages", "oak", "1.1.0", "textures-16k.zip"))) {
		t.Fatal("v2 pack is not reproducible")
	}
	// collect finds the sets beside the base.
	items, err := collect([]string{out}, false)
	if err != nil || len(items) != 2 || items[1].SetsDir != filepath.Join(out, "packages", "oak", "1.1.0") {
		t.Fatalf("collect: %v %+v", err, items)
	}
}

func TestPackV2Refuses(t *testing.T) {
	cases := map[string]func(map[string][]byte){
		"names differ between sets": func(f map[string][]byte) {
			f["textures/2k/rough.jpg"] = f["textures/2k/normal.png"]
			delete(f, "textures/2k/normal.png")
		},
		"nested folder in a set": func(f map[string][]byte) { f["textures/2k/extra/a.png"] = []byte("x") },
		"not a resolution":       func(f map[string][]byte) { f["textures/hi/albedo.jpg"] = []byte("x") },
		"file beside the sets":   func(f map[string][]byte) { f["textures/albedo.jpg"] = []byte("x") },
		"stray file in the base": func(f map[string][]byte) { f["notes.txt"] = []byte("x") },
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			files := oakV2Files()
			edit(files)
			out := t.TempDir()
			if err := packDirs([]string{writeSource(t, files, oakV2Meta)}, out, io.Discard); err == nil {
				t.Fatal("packed")
			}
			if zips, _ := filepath.Glob(filepath.Join(out, "packages", "*", "*")); len(zips) != 0 {
				t.Fatalf("wrote %v", zips)
			}
		})
	}
}

// A v2 source folder without textures/ is an untextured material: a base and no sets.
func TestPackV2Untextured(t *testing.T) {
	out := t.TempDir()
	src := writeSource(t, map[string][]byte{"material.blend": []byte("BLENDER"), "preview.webp": preview384}, oakV2Meta)
	if err := packDirs([]string{src}, out, io.Discard); err != nil {
		t.Fatal(err)
	}
	p, err := shaderpkg.ReadPackageBytes(mustRead(t, filepath.Join(out, "packages", "oak", "1.1.0.zip")))
	if err != nil || p.Manifest.SchemaVersion != 2 || len(p.Manifest.TextureSets) != 0 {
		t.Fatalf("%v %+v", err, p)
	}
	if sets, _ := filepath.Glob(filepath.Join(out, "packages", "oak", "1.1.0", "*")); len(sets) != 0 {
		t.Fatalf("sets written: %v", sets)
	}
}
