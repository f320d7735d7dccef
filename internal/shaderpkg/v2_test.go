package shaderpkg

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// setFS is one resolution's flat texture files; the same names at every resolution.
func setFS(res string) fstest.MapFS {
	return fstest.MapFS{
		"albedo.jpg": {Data: []byte("\xff\xd8 albedo at " + res)},
		"normal.png": {Data: []byte("\x89PNG normal at " + res)},
	}
}

// buildV2 writes a schema_version 2 package with sets at ress: the base zip, each set's zip and
// the manifest as written.
func buildV2(t testing.TB, resolutions ...string) ([]byte, map[string][]byte, Manifest) {
	t.Helper()
	m := validManifest()
	m.SchemaVersion = SchemaVersionV2
	m.TextureResolutions = nil
	zips := map[string][]byte{}
	for _, res := range resolutions {
		var buf bytes.Buffer
		set, err := WriteTextureSet(&buf, res, setFS(res))
		if err != nil {
			t.Fatal(err)
		}
		m.TextureSets = append(m.TextureSets, set)
		zips[res] = buf.Bytes()
	}
	src := fstest.MapFS{"material.blend": sourceFS()["material.blend"], "preview.webp": sourceFS()["preview.webp"]}
	var base bytes.Buffer
	m, err := WritePackage(&base, m, src)
	if err != nil {
		t.Fatal(err)
	}
	return base.Bytes(), zips, m
}

func TestWriteAndReadV2(t *testing.T) {
	base, zips, m := buildV2(t, "1k", "2k", "4k")
	if m.SchemaVersion != 2 || len(m.Files) != 2 || len(m.TextureSets) != 3 {
		t.Fatalf("manifest %+v", m)
	}
	if got := m.Resolutions(); strings.Join(got, ",") != "1k,2k,4k" {
		t.Fatalf("Resolutions() = %v", got)
	}
	if names := m.SetFileNames(); strings.Join(names, ",") != "albedo.jpg,normal.png" {
		t.Fatalf("SetFileNames() = %v", names)
	}
	p, err := ReadPackageBytes(base)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustJSON(p.Manifest), mustJSON(m)) {
		t.Fatal("the base's manifest is not the one written")
	}
	raw := string(p.ManifestJSON)
	if !strings.Contains(raw, `"texture_sets"`) || strings.Contains(raw, `"texture_resolutions"`) || !strings.Contains(raw, `"schema_version": 2`) {
		t.Fatalf("v2 manifest JSON:\n%s", raw)
	}
	for _, res := range m.Resolutions() {
		set, ok := m.Set(res)
		if !ok {
			t.Fatalf("Set(%s) missing", res)
		}
		sum := sha256.Sum256(zips[res])
		if set.SHA256 != hex.EncodeToString(sum[:]) || set.Size != int64(len(zips[res])) {
			t.Fatalf("%s: set hash/size do not describe its zip", res)
		}
		if err := ReadTextureSet(bytes.NewReader(zips[res]), int64(len(zips[res])), set); err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		zr, _ := zip.NewReader(bytes.NewReader(zips[res]), int64(len(zips[res])))
		if len(zr.File) != 2 || zr.File[0].Name != "albedo.jpg" || zr.File[0].Method != zip.Store {
			t.Fatalf("%s: set zip entries %v", res, zr.File)
		}
	}
	if _, ok := m.Set("8k"); ok {
		t.Fatal("Set(8k) found")
	}
	// Reproducible: same input, same bytes, for the base and the sets.
	base2, zips2, _ := buildV2(t, "1k", "2k", "4k")
	if !bytes.Equal(base, base2) || !bytes.Equal(zips["4k"], zips2["4k"]) {
		t.Fatal("v2 writing is not reproducible")
	}
	// A v1 manifest keeps its shape: texture_resolutions, no texture_sets.
	v1, err := validManifest().Marshal()
	if err != nil || strings.Contains(string(v1), "texture_sets") || !strings.Contains(string(v1), `"texture_resolutions"`) {
		t.Fatalf("v1 manifest JSON %s %v", v1, err)
	}
}

func TestV2WithoutSets(t *testing.T) {
	base, _, m := buildV2(t)
	if len(m.Resolutions()) != 0 || m.SetFileNames() != nil {
		t.Fatalf("untextured manifest %+v", m)
	}
	p, err := ReadPackageBytes(base)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(p.ManifestJSON), `"texture_sets": []`) {
		t.Fatalf("untextured v2 manifest should list no sets explicitly:\n%s", p.ManifestJSON)
	}
}

func TestTextureSetKey(t *testing.T) {
	if got := TextureSetKey("oak-wood", "1.1.0", "4k"); got != "packages/oak-wood/1.1.0/textures-4k.zip" {
		t.Fatal(got)
	}
}

func TestParseManifestV2Rejects(t *testing.T) {
	_, _, good := buildV2(t, "1k", "2k")
	file := func(p string) File { return File{Path: p, SHA256: hexOf('c'), Size: 10} }
	cases := []struct {
		name  string
		edit  func(m *Manifest)
		field string
	}{
		{"schema version 3", func(m *Manifest) { m.SchemaVersion = 3 }, "schema_version"},
		{"texture in the base", func(m *Manifest) { m.Files = append(m.Files, file("textures/1k/albedo.jpg")) }, "files"},
		{"base without preview", func(m *Manifest) { m.Files = m.Files[:1] }, "files"},
		{"descending", func(m *Manifest) { m.TextureSets[0], m.TextureSets[1] = m.TextureSets[1], m.TextureSets[0] }, "texture_sets[1]"},
		{"duplicate resolution", func(m *Manifest) { m.TextureSets[1].Resolution = "1k" }, "texture_sets[1]"},
		{"numeric order, not text", func(m *Manifest) { m.TextureSets[0].Resolution = "16k" }, "texture_sets[1]"},
		{"bad resolution", func(m *Manifest) { m.TextureSets[0].Resolution = "0k" }, "texture_sets[0]"},
		{"resolution too long", func(m *Manifest) { m.TextureSets[1].Resolution = "100k" }, "texture_sets[1]"},
		{"different names", func(m *Manifest) { m.TextureSets[1].Files[0].Path = "base.jpg" }, "texture_sets[1]"},
		{"extra name", func(m *Manifest) { m.TextureSets[1].Files = append(m.TextureSets[1].Files, file("height.png")) }, "texture_sets[1]"},
		{"nested name", func(m *Manifest) { m.TextureSets[0].Files[0].Path = "1k/albedo.jpg" }, "texture_sets[0].files"},
		{"traversal", func(m *Manifest) { m.TextureSets[0].Files[0].Path = "../albedo.jpg" }, "texture_sets[0].files"},
		{"not a texture", func(m *Manifest) { m.TextureSets[0].Files[0].Path = "run.py" }, "texture_sets[0].files"},
		{"case duplicate", func(m *Manifest) { m.TextureSets[0].Files[1].Path = "ALBEDO.jpg" }, "texture_sets[0].files"},
		{"empty set", func(m *Manifest) { m.TextureSets[0].Files = nil }, "texture_sets[0].files"},
		{"set sha", func(m *Manifest) { m.TextureSets[0].SHA256 = "ABC" }, "texture_sets[0].sha256"},
		{"set size", func(m *Manifest) { m.TextureSets[0].Size = 0 }, "texture_sets[0].size"},
		{"file sha", func(m *Manifest) { m.TextureSets[0].Files[0].SHA256 = hexOf('G') }, "texture_sets[0].files"},
		{"too many files", func(m *Manifest) {
			for i := range MaxSetFiles {
				m.TextureSets[0].Files = append(m.TextureSets[0].Files, file(fmt.Sprintf("t%d.png", i)))
			}
		}, "texture_sets[0].files"},
		{"too many sets", func(m *Manifest) {
			for i := 3; i <= 10; i++ {
				s := m.TextureSets[0]
				s.Resolution = fmt.Sprintf("%dk", i)
				m.TextureSets = append(m.TextureSets, s)
			}
		}, "texture_sets"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m Manifest
			if err := json.Unmarshal(mustJSON(good), &m); err != nil { // a deep copy
				t.Fatal(err)
			}
			c.edit(&m)
			_, err := ParseManifest(mustJSON(m))
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeManifestInvalid || e.Field != c.field {
				t.Fatalf("got %v, want %s on %s", err, CodeManifestInvalid, c.field)
			}
		})
	}
	// Each version's own field only (MarshalJSON never writes the other one, so edit the JSON).
	raw := bytes.Replace(mustJSON(good), []byte(`"texture_sets"`), []byte(`"texture_resolutions":["1k","2k"],"texture_sets"`), 1)
	if _, err := ParseManifest(raw); CodeOf(err) != CodeManifestInvalid || err.(*Error).Field != "schema_version" {
		t.Fatalf("texture_resolutions in v2 accepted: %v", err)
	}
	raw = bytes.Replace(mustJSON(validManifest()), []byte(`"files"`), []byte(`"texture_sets":[],"files"`), 1)
	if _, err := ParseManifest(raw); CodeOf(err) != CodeManifestInvalid || err.(*Error).Field != "schema_version" {
		t.Fatalf("texture_sets in v1 accepted: %v", err)
	}
}

func TestReadTextureSetRejectsHostile(t *testing.T) {
	_, _, m := buildV2(t, "1k")
	set := m.TextureSets[0]
	files := setFS("1k")
	good := []entry{{name: "albedo.jpg", data: files["albedo.jpg"].Data}, {name: "normal.png", data: files["normal.png"].Data}}
	cases := []struct {
		name    string
		entries []entry
		code    Code
	}{
		{"tampered file", []entry{{name: "albedo.jpg", data: []byte("\xff\xd8 albedo at 9k")}, good[1]}, CodeHashMismatch},
		{"extra entry", append(good[:2:2], entry{name: "evil.png", data: []byte("x")}), CodeExtraFile},
		{"missing file", good[:1], CodeMissingFile},
		{"directory entry", append([]entry{{name: "textures/", mode: 0o755 | 1<<31}}, good...), CodeExtraFile},
		{"duplicate entry", append(good[:2:2], good[0]), CodePackageInvalid},
		{"symlink", []entry{{name: "albedo.jpg", data: files["albedo.jpg"].Data, mode: 0o777 | 1<<27}, good[1]}, CodePackageInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := zipEntries(t, c.entries)
			// The manifest vouches for this very zip, so the entry checks are what refuses it.
			s := set
			sum := sha256.Sum256(b)
			s.SHA256, s.Size = hex.EncodeToString(sum[:]), int64(len(b))
			if err := ReadTextureSet(bytes.NewReader(b), int64(len(b)), s); CodeOf(err) != c.code {
				t.Fatalf("got %v, want %s", err, c.code)
			}
		})
	}
	// The zip as a whole: its size and SHA-256 against the manifest's.
	b := zipEntries(t, good)
	if err := ReadTextureSet(bytes.NewReader(b), int64(len(b)), set); CodeOf(err) != CodeHashMismatch {
		t.Fatalf("a zip the manifest does not describe: %v", err)
	}
	s := set
	s.Size = int64(len(b))
	if err := ReadTextureSet(bytes.NewReader(b), int64(len(b)), s); CodeOf(err) != CodeHashMismatch || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("same size, other bytes: %v", err)
	}
	if err := ReadTextureSet(bytes.NewReader(b), int64(len(b)), TextureSet{}); CodeOf(err) != CodeManifestInvalid {
		t.Fatalf("an invalid set entry: %v", err)
	}
}

func TestWriteTextureSetRejects(t *testing.T) {
	for name, src := range map[string]fstest.MapFS{
		"nested":      {"1k/albedo.jpg": {Data: []byte("x")}},
		"not texture": {"albedo.jpg": {Data: []byte("x")}, "notes.txt": {Data: []byte("x")}},
		"empty":       {},
	} {
		if _, err := WriteTextureSet(&bytes.Buffer{}, "1k", src); CodeOf(err) != CodeManifestInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := WriteTextureSet(&bytes.Buffer{}, "1K", setFS("1k")); CodeOf(err) != CodeManifestInvalid {
		t.Errorf("bad resolution: %v", err)
	}
}

func v2Delivery(t testing.TB, res string) Delivery {
	t.Helper()
	_, _, m := buildV2(t, "1k", "2k")
	d, err := DeliveryForSet("7c9e6679-7425-40de-944b-e07fc1f90ae7", m, hexOf('e'), 4096, res, t0, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDeliveryV2RoundTrip(t *testing.T) {
	kr := LocalDevKeyring()
	_, _, untextured := buildV2(t)
	for _, res := range []string{"2k", ""} {
		var d Delivery
		if res != "" {
			d = v2Delivery(t, res)
		} else {
			var err error
			if d, err = DeliveryForSet("7c9e6679", untextured, hexOf('e'), 4096, "", t0, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		s, err := SignDelivery(kr, d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := VerifyDelivery(kr.PublicKeys(), s, t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(mustJSON(got), mustJSON(d)) {
			t.Fatalf("verified %+v, signed %+v", got, d)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(s.Payload)
		var keys map[string]json.RawMessage
		json.Unmarshal(raw, &keys)
		for _, k := range []string{"v", "import_id", "shader_id", "version", "material_name", "resolution", "base", "textures", "issued_at", "expires_at"} {
			if _, ok := keys[k]; !ok {
				t.Errorf("v2 payload lacks %q: %s", k, raw)
			}
		}
		if len(keys) != 10 {
			t.Errorf("v2 payload has other keys: %s", raw)
		}
		if res == "" && (string(keys["textures"]) != "null" || string(keys["resolution"]) != "null") {
			t.Errorf("no sets: textures and resolution must be null: %s", raw)
		}
		if res == "2k" && (got.Textures == nil || got.Textures.Resolution != "2k" || got.Base.Size != 4096 || len(got.Base.Files) != 2) {
			t.Errorf("v2 delivery %+v", got)
		}
	}
	// v1 payloads keep their keys only.
	raw, _ := json.Marshal(validDelivery())
	for _, k := range []string{"resolution", "base", "textures"} {
		if strings.Contains(string(raw), `"`+k+`"`) {
			t.Errorf("v1 payload has %s: %s", k, raw)
		}
	}
}

func TestDeliveryForSetRejects(t *testing.T) {
	_, _, m := buildV2(t, "1k", "2k")
	if _, err := DeliveryForSet("x", m, hexOf('e'), 1, "4k", t0, time.Minute); CodeOf(err) != CodeDeliveryMalformed {
		t.Fatalf("unknown resolution: %v", err)
	}
	if _, err := DeliveryForSet("x", m, hexOf('e'), 1, "", t0, time.Minute); CodeOf(err) != CodeDeliveryMalformed {
		t.Fatalf("no resolution for a version with sets: %v", err)
	}
	if _, err := DeliveryForSet("x", validManifest(), hexOf('e'), 1, "1k", t0, time.Minute); CodeOf(err) != CodeDeliveryMalformed {
		t.Fatalf("a v1 manifest: %v", err)
	}
}

func TestDeliveryV2Rejects(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(d *Delivery)
		field string
	}{
		{"v1 fields in v2", func(d *Delivery) { d.SHA256 = hexOf('a') }, "v"},
		{"v2 fields in v1", func(d *Delivery) { d.V = 1; d.SHA256, d.Size, d.Files = hexOf('a'), 1, d.Base.Files }, "v"},
		{"v3", func(d *Delivery) { d.V = 3 }, "v"},
		{"base sha", func(d *Delivery) { d.Base.SHA256 = "x" }, "base.sha256"},
		{"base size", func(d *Delivery) { d.Base.Size = 0 }, "base.size"},
		{"base with a resolution", func(d *Delivery) { d.Base.Resolution = "2k" }, "base"},
		{"texture in the base", func(d *Delivery) {
			d.Base.Files = append(d.Base.Files, File{Path: "textures/2k/a.png", SHA256: hexOf('a'), Size: 1})
		}, "base.files"},
		{"resolution without textures", func(d *Delivery) { d.Textures = nil }, "textures"},
		{"textures without resolution", func(d *Delivery) { d.Resolution = "" }, "resolution"},
		{"resolutions differ", func(d *Delivery) { d.Resolution = "1k" }, "resolution"},
		{"textures sha", func(d *Delivery) { d.Textures.SHA256 = "" }, "textures.sha256"},
		{"textures nested file", func(d *Delivery) { d.Textures.Files[0].Path = "x/albedo.jpg" }, "textures.files"},
	}
	kr := LocalDevKeyring()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := v2Delivery(t, "2k")
			c.edit(&d)
			err := d.Validate()
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeDeliveryMalformed || e.Field != c.field {
				t.Fatalf("got %v, want %s on %s", err, CodeDeliveryMalformed, c.field)
			}
			if _, err := SignDelivery(kr, d); err == nil {
				t.Fatal("signed")
			}
		})
	}
}

func TestDeliveryObjects(t *testing.T) {
	v1 := validDelivery()
	pkg, set := v1.Objects()
	if pkg.SHA256 != v1.SHA256 || pkg.Size != v1.Size || len(pkg.Files) != 3 || set != nil {
		t.Fatalf("v1 objects %+v %+v", pkg, set)
	}
	v2 := v2Delivery(t, "2k")
	pkg, set = v2.Objects()
	if pkg.SHA256 != v2.Base.SHA256 || set == nil || set.Resolution != "2k" {
		t.Fatalf("v2 objects %+v %+v", pkg, set)
	}
}

func FuzzReadTextureSet(f *testing.F) {
	_, zips, m := buildV2(f, "1k")
	set := m.TextureSets[0]
	f.Add(zips["1k"])
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The set entry vouches for these very bytes, so only the entry checks stand in the way.
		s := set
		sum := sha256.Sum256(data)
		s.SHA256, s.Size = hex.EncodeToString(sum[:]), int64(len(data))
		if s.Size == 0 {
			return
		}
		err := ReadTextureSet(bytes.NewReader(data), s.Size, s)
		if refused(t, err) {
			return
		}
		// Accepted: exactly the listed files, with their content.
		zr, err := zip.NewReader(bytes.NewReader(data), s.Size)
		if err != nil || len(zr.File) != len(set.Files) {
			t.Fatalf("accepted a zip that is not exactly the set: %v", err)
		}
	})
}
