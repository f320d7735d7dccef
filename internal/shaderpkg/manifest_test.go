package shaderpkg

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func hexOf(c byte) string { return strings.Repeat(string(c), 64) }

func validManifest() Manifest {
	return Manifest{
		SchemaVersion:      1,
		ShaderID:           "brushed-steel",
		Version:            "1.0.0",
		Name:               "Brushed Steel",
		MaterialName:       "OB_BrushedSteel",
		Category:           "metal",
		Tags:               []string{"metal", "steel"},
		MinBlender:         "3.4",
		MinOctane:          "2024.1",
		TextureResolutions: []string{"1k"},
		Files: []File{
			{Path: "material.blend", SHA256: hexOf('a'), Size: 1234},
			{Path: "preview.webp", SHA256: hexOf('b'), Size: 99},
			{Path: "textures/1k/albedo.png", SHA256: hexOf('c'), Size: 5000},
		},
	}
}

func TestParseManifestRoundTrip(t *testing.T) {
	m := validManifest()
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.ShaderID != m.ShaderID || len(got.Files) != 3 || got.Files[0].Path != "material.blend" {
		t.Fatalf("round trip changed the manifest: %+v", got)
	}
	if got.TotalSize() != 1234+99+5000 {
		t.Fatalf("TotalSize = %d", got.TotalSize())
	}
	if f, ok := got.File("preview.webp"); !ok || f.Size != 99 {
		t.Fatalf("File(preview.webp) = %+v %v", f, ok)
	}
}

func TestParseManifestContractExample(t *testing.T) {
	// A manifest as schemas/manifest.schema.json describes it, with concrete hashes.
	src := `{"schema_version":1,"shader_id":"brushed-steel","version":"1.0.0","name":"Brushed Steel",
 "material_name":"OB_BrushedSteel","category":"metal","tags":["metal","steel"],
 "min_blender":"3.4","min_octane":"2024.1","texture_resolutions":["1k"],
 "files":[{"path":"material.blend","sha256":"` + hexOf('0') + `","size":123},
          {"path":"preview.webp","sha256":"` + hexOf('1') + `","size":12}]}`
	if _, err := ParseManifest([]byte(src)); err != nil {
		t.Fatal(err)
	}
}

func TestParseManifestRejects(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(m map[string]any)
		code  Code
		field string
	}{
		{"wrong schema version", func(m map[string]any) { m["schema_version"] = 2 }, CodeManifestInvalid, "schema_version"},
		{"missing schema version", func(m map[string]any) { delete(m, "schema_version") }, CodeManifestInvalid, "schema_version"},
		{"unknown field", func(m map[string]any) { m["evil"] = true }, CodeManifestSyntax, ""},
		{"shader id uppercase", func(m map[string]any) { m["shader_id"] = "Brushed" }, CodeManifestInvalid, "shader_id"},
		{"shader id traversal", func(m map[string]any) { m["shader_id"] = "../x" }, CodeManifestInvalid, "shader_id"},
		{"version not semver", func(m map[string]any) { m["version"] = "1.0" }, CodeManifestInvalid, "version"},
		{"version leading zero", func(m map[string]any) { m["version"] = "01.0.0" }, CodeManifestInvalid, "version"},
		{"empty name", func(m map[string]any) { m["name"] = "" }, CodeManifestInvalid, "name"},
		{"control char name", func(m map[string]any) { m["name"] = "a\x07b" }, CodeManifestInvalid, "name"},
		{"material name too long", func(m map[string]any) { m["material_name"] = strings.Repeat("x", 64) }, CodeManifestInvalid, "material_name"},
		{"bad category", func(m map[string]any) { m["category"] = "Metal!" }, CodeManifestInvalid, "category"},
		{"duplicate tag", func(m map[string]any) { m["tags"] = []string{"a", "a"} }, CodeManifestInvalid, "tags"},
		{"bad min blender", func(m map[string]any) { m["min_blender"] = "latest" }, CodeManifestInvalid, "min_blender"},
		{"bad min octane", func(m map[string]any) { m["min_octane"] = "4" }, CodeManifestInvalid, "min_octane"},
		{"bad resolution", func(m map[string]any) { m["texture_resolutions"] = []string{"huge"} }, CodeManifestInvalid, "texture_resolutions"},
		{"no files", func(m map[string]any) { m["files"] = []any{} }, CodeManifestInvalid, "files"},
		{"traversal path", func(m map[string]any) { addFile(m, "../evil.png") }, CodeManifestInvalid, "files"},
		{"absolute path", func(m map[string]any) { addFile(m, "/etc/passwd") }, CodeManifestInvalid, "files"},
		{"backslash path", func(m map[string]any) { addFile(m, `textures\1k\a.png`) }, CodeManifestInvalid, "files"},
		{"drive letter", func(m map[string]any) { addFile(m, `C:/a.png`) }, CodeManifestInvalid, "files"},
		{"hidden file", func(m map[string]any) { addFile(m, "textures/1k/.hidden.png") }, CodeManifestInvalid, "files"},
		{"reserved name", func(m map[string]any) { addFile(m, "textures/1k/CON.png") }, CodeManifestInvalid, "files"},
		{"case duplicate", func(m map[string]any) { addFile(m, "Material.blend") }, CodeManifestInvalid, "files"},
		{"lists itself", func(m map[string]any) { addFile(m, "manifest.json") }, CodeManifestInvalid, "files"},
		{"unlisted resolution", func(m map[string]any) { addFile(m, "textures/4k/a.png") }, CodeManifestInvalid, "files"},
		{"not a texture", func(m map[string]any) { addFile(m, "textures/1k/run.py") }, CodeManifestInvalid, "files"},
		{"stray top-level file", func(m map[string]any) { addFile(m, "readme.txt") }, CodeManifestInvalid, "files"},
		{"bad hash", func(m map[string]any) { files(m)[0].(map[string]any)["sha256"] = "ABC" }, CodeManifestInvalid, "files"},
		{"negative size", func(m map[string]any) { files(m)[0].(map[string]any)["size"] = -1 }, CodeManifestInvalid, "files"},
		{"oversize file", func(m map[string]any) { files(m)[0].(map[string]any)["size"] = int64(MaxFileSize) + 1 }, CodeManifestInvalid, "files"},
		{"no blend", func(m map[string]any) { m["files"] = files(m)[1:] }, CodeManifestInvalid, "files"},
		{"no preview", func(m map[string]any) {
			f := files(m)
			m["files"] = []any{f[0], f[2]}
		}, CodeManifestInvalid, "files"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := validManifest().Marshal()
			var raw map[string]any
			if err := json.Unmarshal(b, &raw); err != nil {
				t.Fatal(err)
			}
			tc.edit(raw)
			b, _ = json.Marshal(raw)
			_, err := ParseManifest(b)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("want *Error, got %v", err)
			}
			if e.Code != tc.code || e.Field != tc.field {
				t.Fatalf("got %s field %q (%v), want %s field %q", e.Code, e.Field, err, tc.code, tc.field)
			}
			if e.Msg == "" {
				t.Fatal("error has no message")
			}
		})
	}
}

func files(m map[string]any) []any { return m["files"].([]any) }

func addFile(m map[string]any, p string) {
	m["files"] = append(files(m), map[string]any{"path": p, "sha256": hexOf('d'), "size": 1})
}

func TestParseManifestSyntax(t *testing.T) {
	for _, in := range []string{"", "null", "[]", "{", `{"schema_version":1}{}`, strings.Repeat(" ", MaxManifestBytes+1)} {
		_, err := ParseManifest([]byte(in))
		if !errors.Is(err, ErrManifestSyntax) && !errors.Is(err, ErrManifestInvalid) {
			t.Errorf("%.20q: got %v", in, err)
		}
	}
}

func TestCheckEntryPath(t *testing.T) {
	ok := []string{"material.blend", "textures/1k/wood_albedo.png", "textures/2k/a-b.c.jpg"}
	bad := []string{"", ".", "..", "a/../b", "a//b", "a/", "/a", "./a", "a/./b", "a\\b", "a b", "c:x", "a\x00b",
		"textures/1k/x.", "-rf", "lpt1.png", "nul", strings.Repeat("a", 201), "ünï.png"}
	for _, p := range ok {
		if err := CheckEntryPath(p); err != nil {
			t.Errorf("%q rejected: %v", p, err)
		}
	}
	for _, p := range bad {
		if err := CheckEntryPath(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}

// refused says whether a fuzzed input was refused, failing the run when the refusal has no code:
// every error of this package carries one of schemas/codes.json.
func refused(t *testing.T, err error) bool {
	t.Helper()
	if err != nil && CodeOf(err) == "" {
		t.Fatalf("untyped error %v", err)
	}
	return err != nil
}

func FuzzParseManifest(f *testing.F) {
	b, _ := validManifest().Marshal()
	f.Add(b)
	f.Add([]byte(`{"schema_version":1}`))
	f.Add([]byte(`{"schema_version":1,"files":[{"path":"../x","sha256":"","size":1}]}`))
	_, _, v2 := buildV2(f, "1k", "2k")
	b2, _ := v2.Marshal()
	f.Add(b2)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if refused(t, err) {
			return
		}
		// Anything accepted must survive a write/read cycle and have only safe paths.
		out, err := m.Marshal()
		if err != nil {
			t.Fatalf("accepted manifest does not marshal: %v", err)
		}
		if _, err := ParseManifest(out); err != nil {
			t.Fatalf("re-parse failed: %v", err)
		}
		for _, f := range m.Files {
			if strings.Contains(f.Path, "..") || strings.HasPrefix(f.Path, "/") || strings.Contains(f.Path, "\\") {
				t.Fatalf("unsafe path accepted: %q", f.Path)
			}
		}
		// A v2 set's names are flat and the same in every set.
		for _, set := range m.TextureSets {
			for i, f := range set.Files {
				if strings.ContainsAny(f.Path, "/\\") || CheckEntryPath(f.Path) != nil || !slices.Contains(m.SetFileNames(), f.Path) {
					t.Fatalf("set %s file %d %q accepted", set.Resolution, i, f.Path)
				}
			}
		}
	})
}
