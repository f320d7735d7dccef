package shaderpkg

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func sourceFS() fstest.MapFS {
	return fstest.MapFS{
		"material.blend":         {Data: []byte("BLENDER-v304" + strings.Repeat("x", 500))},
		"preview.webp":           {Data: []byte("RIFF....WEBPVP8 ")},
		"textures/1k/albedo.png": {Data: []byte("\x89PNG fake albedo")},
		"textures/1k/rough.png":  {Data: []byte("\x89PNG fake rough")},
	}
}

func buildValid(t testing.TB) ([]byte, Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m := validManifest()
	got, err := WritePackage(&buf, m, sourceFS())
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), got
}

func TestWriteAndReadPackage(t *testing.T) {
	b, m := buildValid(t)
	if len(m.Files) != 4 || m.TextureResolutions[0] != "1k" {
		t.Fatalf("manifest files %+v", m.Files)
	}
	p, err := ReadPackageBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if p.SHA256 != hex.EncodeToString(sum[:]) || p.Size != int64(len(b)) {
		t.Fatal("package hash/size not recorded")
	}
	data, err := p.ReadFile("textures/1k/rough.png")
	if err != nil || string(data) != "\x89PNG fake rough" {
		t.Fatalf("ReadFile: %q %v", data, err)
	}
	// Reproducible: same input, same bytes.
	b2, _ := buildValid(t)
	if !bytes.Equal(b, b2) {
		t.Fatal("WritePackage is not reproducible")
	}
	// manifest.json is the first entry so a streaming reader sees it first.
	zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if zr.File[0].Name != "manifest.json" {
		t.Fatalf("first entry %q", zr.File[0].Name)
	}
}

func TestWritePackageRejectsStrayFiles(t *testing.T) {
	src := sourceFS()
	src["run.py"] = &fstest.MapFile{Data: []byte("import os")}
	if _, err := WritePackage(&bytes.Buffer{}, validManifest(), src); !errors.Is(err, ErrManifestInvalid) {
		t.Fatalf("stray file accepted: %v", err)
	}
	src = sourceFS()
	src["textures/1k/link.png"] = &fstest.MapFile{Mode: fs.ModeSymlink}
	if _, err := WritePackage(&bytes.Buffer{}, validManifest(), src); !errors.Is(err, ErrPackageInvalid) {
		t.Fatalf("symlink accepted: %v", err)
	}
}

type entry struct {
	name   string
	data   []byte
	mode   fs.FileMode
	flags  uint16
	method uint16
}

// rawZip writes entries as given, with a manifest listing `listed` (computed from their data).
func rawZip(t *testing.T, listed map[string][]byte, entries []entry, editManifest func(*Manifest)) []byte {
	t.Helper()
	m := validManifest()
	m.Files = nil
	for p, d := range listed {
		s := sha256.Sum256(d)
		m.Files = append(m.Files, File{Path: p, SHA256: hex.EncodeToString(s[:]), Size: int64(len(d))})
	}
	if editManifest != nil {
		editManifest(&m)
	}
	mj, err := json.Marshal(m) // unvalidated: hostile manifests are written as given
	if err != nil {
		t.Fatal(err)
	}
	return zipEntries(t, append([]entry{{name: "manifest.json", data: mj}}, entries...))
}

// zipEntries writes entries as given: names, modes, flags and methods (99: raw, unchecked).
func zipEntries(t *testing.T, all []entry) []byte {
	t.Helper()
	var err error
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range all {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Flags: e.flags}
		if e.method != 0 {
			h.Method = e.method
		}
		if e.mode == 0 {
			e.mode = 0o644
		}
		h.SetMode(e.mode)
		var w interface{ Write([]byte) (int, error) }
		if e.method == 99 {
			w, err = zw.CreateRaw(h)
		} else {
			w, err = zw.CreateHeader(h)
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	zw.Close()
	return buf.Bytes()
}

func TestReadPackageRejectsHostile(t *testing.T) {
	blend := []byte("BLENDER-v304 content")
	prev := []byte("RIFFxxxxWEBP")
	base := map[string][]byte{"material.blend": blend, "preview.webp": prev}
	good := []entry{{name: "material.blend", data: blend}, {name: "preview.webp", data: prev}}

	cases := []struct {
		name    string
		zip     func() []byte
		want    *Error
		mention string
	}{
		{"bad hash", func() []byte {
			return rawZip(t, base, []entry{{name: "material.blend", data: []byte("BLENDER-v304 CONTENT")}, good[1]}, nil)
		}, ErrHashMismatch, "material.blend"},
		{"size mismatch", func() []byte {
			return rawZip(t, base, []entry{{name: "material.blend", data: append(blend, 'x')}, good[1]}, nil)
		}, ErrHashMismatch, "material.blend"},
		{"missing listed file", func() []byte { return rawZip(t, base, good[:1], nil) }, ErrMissingFile, "preview.webp"},
		{"extra entry", func() []byte {
			return rawZip(t, base, append(good, entry{name: "textures/1k/x.png", data: []byte("x")}), nil)
		}, ErrExtraFile, "textures/1k/x.png"},
		{"traversal entry", func() []byte {
			return rawZip(t, base, append(good, entry{name: "../../evil.py", data: []byte("x")}), nil)
		}, ErrExtraFile, "../../evil.py"},
		{"absolute entry", func() []byte {
			return rawZip(t, base, append(good, entry{name: "/etc/cron.d/x", data: []byte("x")}), nil)
		}, ErrExtraFile, "/etc/cron.d/x"},
		{"traversal in manifest", func() []byte {
			return rawZip(t, base, good, func(m *Manifest) {
				m.Files = append(m.Files, File{Path: "../x.png", SHA256: hexOf('a'), Size: 1})
			})
		}, ErrManifestInvalid, "../x.png"},
		{"duplicate entry", func() []byte { return rawZip(t, base, append(good, good[0]), nil) }, ErrPackageInvalid, "material.blend"},
		{"symlink entry", func() []byte {
			return rawZip(t, base, []entry{{name: "material.blend", data: blend, mode: fs.ModeSymlink | 0o777}, good[1]}, nil)
		}, ErrPackageInvalid, "material.blend"},
		{"encrypted entry", func() []byte {
			return rawZip(t, base, []entry{{name: "material.blend", data: blend, flags: 1}, good[1]}, nil)
		}, ErrPackageInvalid, "material.blend"},
		{"no manifest", func() []byte {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.Create("material.blend")
			w.Write(blend)
			zw.Close()
			return buf.Bytes()
		}, ErrMissingFile, "manifest.json"},
		{"not a zip", func() []byte { return []byte("this is not a zip file at all") }, ErrPackageInvalid, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadPackageBytes(tc.zip())
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %s", err, tc.want.Code)
			}
			if tc.mention != "" && !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("error %q does not name %q", err, tc.mention)
			}
		})
	}
}

func TestReadPackageAllowsParentDirEntries(t *testing.T) {
	tex := []byte("png")
	listed := map[string][]byte{"material.blend": []byte("b"), "preview.webp": []byte("p"), "textures/1k/a.png": tex}
	b := rawZip(t, listed, []entry{
		{name: "textures/", mode: fs.ModeDir | 0o755},
		{name: "textures/1k/", mode: fs.ModeDir | 0o755},
		{name: "material.blend", data: []byte("b")},
		{name: "preview.webp", data: []byte("p")},
		{name: "textures/1k/a.png", data: tex},
	}, nil)
	if _, err := ReadPackageBytes(b); err != nil {
		t.Fatal(err)
	}
	b = rawZip(t, listed, []entry{
		{name: "other/", mode: fs.ModeDir | 0o755},
		{name: "material.blend", data: []byte("b")},
		{name: "preview.webp", data: []byte("p")},
		{name: "textures/1k/a.png", data: tex},
	}, nil)
	if _, err := ReadPackageBytes(b); !errors.Is(err, ErrExtraFile) {
		t.Fatalf("unrelated directory accepted: %v", err)
	}
}

func TestReadPackageZipBomb(t *testing.T) {
	big := bytes.Repeat([]byte{0}, 4<<20) // deflates to a few KiB: ratio > 200
	listed := map[string][]byte{"material.blend": big, "preview.webp": []byte("p")}
	b := rawZip(t, listed, []entry{{name: "material.blend", data: big}, {name: "preview.webp", data: []byte("p")}}, nil)
	if _, err := ReadPackageBytes(b); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("bomb accepted: %v", err)
	}
}

func FuzzReadPackage(f *testing.F) {
	b, _ := buildValid(f)
	f.Add(b)
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPackageBytes(data)
		if refused(t, err) {
			return
		}
		for _, f := range p.Manifest.Files {
			if CheckEntryPath(f.Path) != nil {
				t.Fatalf("unsafe path accepted %q", f.Path)
			}
		}
	})
}

func TestReadPackageOversize(t *testing.T) {
	// The declared size is checked before a single byte is read.
	if _, err := ReadPackage(bytes.NewReader(nil), MaxPackageSize+1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize package: %v", err)
	}
	// A manifest.json above its limit is refused before it is parsed.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("manifest.json")
	w.Write(bytes.Repeat([]byte(" "), MaxManifestBytes+1))
	zw.Close()
	if _, err := ReadPackageBytes(buf.Bytes()); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize manifest: %v", err)
	}
	// Too many entries.
	buf.Reset()
	zw = zip.NewWriter(&buf)
	for i := 0; i < MaxFiles+65; i++ {
		zw.Create("textures/1k/f" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + ".png")
	}
	zw.Close()
	if _, err := ReadPackageBytes(buf.Bytes()); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("too many entries: %v", err)
	}
}
