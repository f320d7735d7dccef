package extract

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// signedPackage writes a small package from files and returns the zip and its signed file list.
func signedPackage(t testing.TB, files map[string]string) ([]byte, []shaderpkg.File) {
	t.Helper()
	b := map[string][]byte{}
	for p, s := range files {
		b[p] = []byte(s)
	}
	return writePackage(t, b)
}

// FuzzExtractSignedList extracts arbitrary archives against a fixed signed file list (and
// deliberately altered lists): whenever Extract succeeds, the directory holds exactly
// manifest.json and the listed files, each with the listed size and sha256, only the
// directories that hold them, and a manifest.json that lists the same files. Nothing is ever
// written outside the directory.
func FuzzExtractSignedList(f *testing.F) {
	good := map[string]string{
		"material.blend":         "BLENDER-v304",
		"preview.webp":           "RIFF\x00\x00\x00\x00WEBP",
		"textures/1k/albedo.png": "\x89PNG albedo",
	}
	zb, list := signedPackage(f, good)
	f.Add(zb, uint8(0))
	for mut := uint8(1); mut <= 6; mut++ {
		f.Add(zb, mut)
	}
	// Same names, other bytes (a package swapped in S3): sizes equal, hashes not.
	swapped, _ := signedPackage(f, map[string]string{"material.blend": "BLENDER-v305", "preview.webp": "RIFF\x00\x00\x00\x00WEBQ", "textures/1k/albedo.png": "\x89PNG albedX"})
	f.Add(swapped, uint8(0))
	extra, _ := signedPackage(f, map[string]string{"material.blend": good["material.blend"], "preview.webp": good["preview.webp"],
		"textures/1k/albedo.png": good["textures/1k/albedo.png"], "textures/1k/extra.png": "x"})
	f.Add(extra, uint8(0))
	fewer, _ := signedPackage(f, map[string]string{"material.blend": good["material.blend"], "preview.webp": good["preview.webp"]})
	f.Add(fewer, uint8(0))
	f.Add(buildZip([]zent{{Name: "manifest.json", Data: []byte("{}")}, {Name: "material.blend", Data: []byte(good["material.blend"])}}), uint8(0))
	f.Add(buildZip([]zent{{Name: "Material.blend", Data: []byte(good["material.blend"])}}), uint8(0))

	f.Fuzz(func(t *testing.T, zb []byte, mut uint8) {
		expect := mutateList(list, mut)
		out, err := fuzzOnce(t, zb, expect)
		if err != nil {
			return
		}
		want := map[string]shaderpkg.File{}
		dirs := map[string]bool{}
		for _, w := range expect {
			want[w.Path] = w
			for d := filepath.Dir(filepath.FromSlash(w.Path)); d != "."; d = filepath.Dir(d) {
				dirs[filepath.ToSlash(d)] = true
			}
		}
		seen := 0
		filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(out, p)
			rel = filepath.ToSlash(rel)
			switch {
			case rel == ".":
			case d.IsDir():
				if !dirs[rel] {
					t.Fatalf("directory %q holds no listed file", rel)
				}
			case rel == shaderpkg.ManifestPath:
				b, _ := os.ReadFile(p)
				m, err := shaderpkg.ParseManifest(b)
				if err != nil || len(m.Files) != len(expect) {
					t.Fatalf("manifest.json does not list the signed files: %v", err)
				}
				for _, w := range expect {
					if g, ok := m.File(w.Path); !ok || g != w {
						t.Fatalf("manifest.json lists %q as %+v, signed %+v", w.Path, g, w)
					}
				}
			default:
				w, ok := want[rel]
				if !ok {
					t.Fatalf("extracted %q, which is not in the signed list", rel)
				}
				b, _ := os.ReadFile(p)
				h := sha256.Sum256(b)
				if int64(len(b)) != w.Size || hex.EncodeToString(h[:]) != w.SHA256 {
					t.Fatalf("%q: %d bytes, sha256 %x; signed %d, %s", rel, len(b), h, w.Size, w.SHA256)
				}
				seen++
			}
			return nil
		})
		if seen != len(expect) {
			t.Fatalf("extracted %d of %d listed files", seen, len(expect))
		}
	})
}

// mutateList returns list as signed (0) or altered the ways a wrong delivery could be: a file
// missing, another size, another hash, an extra file, a renamed file, a case-changed name.
func mutateList(list []shaderpkg.File, mut uint8) []shaderpkg.File {
	l := append([]shaderpkg.File(nil), list...)
	if len(l) == 0 {
		return l
	}
	i := int(mut/8) % len(l)
	switch mut % 8 {
	case 1:
		l = append(l[:i], l[i+1:]...)
	case 2:
		l[i].Size++
	case 3:
		l[i].SHA256 = hex.EncodeToString(make([]byte, 32))
	case 4:
		l = append(l, shaderpkg.File{Path: "textures/1k/extra.png", SHA256: l[i].SHA256, Size: l[i].Size})
	case 5:
		l[i].Path = "textures/2k/" + filepath.Base(l[i].Path)
	case 6:
		l[i].Path = "X" + l[i].Path
	}
	return l
}

// The fuzz target's success branch is reached: its main seed extracts, each altered list fails.
func TestSignedListSeedsReachBothOutcomes(t *testing.T) {
	zb, list := signedPackage(t, map[string]string{"material.blend": "BLENDER-v304", "preview.webp": "RIFF\x00\x00\x00\x00WEBP",
		"textures/1k/albedo.png": "\x89PNG albedo"})
	for mut := uint8(0); mut <= 6; mut++ {
		_, zp, out := workspace(t, zb)
		err := extract(context.Background(), zp, out, fuzzLimits, mutateList(list, mut), false)
		if (mut == 0) != (err == nil) {
			t.Fatalf("list mutation %d: %v", mut, err)
		}
		if mut > 0 && fault.CodeOf(err) != CodeMismatch {
			t.Fatalf("list mutation %d: code %q (%v)", mut, fault.CodeOf(err), err)
		}
	}
}
