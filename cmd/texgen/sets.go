package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing/fstest"
	"time"

	"github.com/octanebridge/octane-bridge/internal/atomicfile"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/texgen"
)

// index is the part of catalog.json (written by publish pack) that names the v2 packages.
type index struct {
	Shaders []struct {
		ShaderID      string `json:"shader_id"`
		Version       string `json:"version"`
		Package       string `json:"package"`
		SchemaVersion int    `json:"schema_version"`
	} `json:"shaders"`
}

// writeSets gives every v2 package of the catalog folder dir its texture set zips: a set already
// there with the manifest's sha256 is kept, any other is generated and must come out with exactly
// the bytes the committed (signed) manifest lists, or nothing is written and the run fails.
func writeSets(c texgen.Catalog, dir string, stdout io.Writer) error {
	raw, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
	if err != nil {
		return err
	}
	var idx index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return fmt.Errorf("%s/catalog.json: %w", dir, err)
	}
	unlock, err := lock(filepath.Join(dir, ".texgen.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	made, kept := 0, 0
	var bytesMade int64
	start := time.Now()
	for _, e := range idx.Shaders {
		if e.SchemaVersion != shaderpkg.SchemaVersionV2 {
			continue
		}
		if !filepath.IsLocal(e.Package) {
			return fmt.Errorf("catalog.json: package path %q leaves the folder", e.Package)
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.Package)))
		if err != nil {
			return err
		}
		pkg, err := shaderpkg.ReadPackageBytes(b)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Package, err)
		}
		m := pkg.Manifest
		mat, ok := c.Find(m.ShaderID)
		if !ok && len(m.TextureSets) > 0 {
			return fmt.Errorf("%s %s: no material %q in the catalog description", e.Package, m.Version, m.ShaderID)
		}
		for _, set := range m.TextureSets {
			path := filepath.Join(dir, filepath.FromSlash(shaderpkg.TextureSetKey(m.ShaderID, m.Version, set.Resolution)))
			if b, err := os.ReadFile(path); err == nil && hexSum(b) == set.SHA256 {
				kept++
				continue
			}
			t := time.Now()
			b, err := generateSet(mat, set)
			if err != nil {
				return fmt.Errorf("%s %s %s: %w", m.ShaderID, m.Version, set.Resolution, err)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := atomicfile.Write(path, b, 0o644); err != nil {
				return err
			}
			made++
			bytesMade += int64(len(b))
			fmt.Fprintf(stdout, "texgen %-24s %-8s %-3s %6.1f MB %5.1fs\n", m.ShaderID, m.Version, set.Resolution,
				float64(len(b))/1e6, time.Since(t).Seconds())
		}
	}
	fmt.Fprintf(stdout, "texgen: %d texture sets generated (%.0f MB, %.0fs), %d already there\n",
		made, float64(bytesMade)/1e6, time.Since(start).Seconds(), kept)
	return nil
}

// generateSet renders the set's maps and zips them as publish pack does; the result must be the
// set the manifest lists, byte for byte.
func generateSet(m texgen.Material, want shaderpkg.TextureSet) ([]byte, error) {
	size, err := texgen.Pixels(want.Resolution)
	if err != nil {
		return nil, err
	}
	maps, err := texgen.Generate(m, size)
	if err != nil {
		return nil, err
	}
	fsys := fstest.MapFS{}
	for name, b := range maps {
		fsys[name] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	var buf bytes.Buffer
	got, err := shaderpkg.WriteTextureSet(&buf, want.Resolution, fsys)
	if err != nil {
		return nil, err
	}
	if got.SHA256 == want.SHA256 && got.Size == want.Size {
		return buf.Bytes(), nil
	}
	var diff []string
	have := map[string]string{}
	for _, f := range got.Files {
		have[f.Path] = f.SHA256
	}
	for _, f := range want.Files {
		if have[f.Path] != f.SHA256 {
			diff = append(diff, f.Path)
		}
		delete(have, f.Path)
	}
	for p := range have {
		diff = append(diff, p+" (not in the manifest)")
	}
	return nil, fmt.Errorf("the generator made a set with sha256 %s, the committed manifest says %s (differing: %v): "+
		"internal/texgen or catalog/materials.json changed under a published version (regenerate the catalog: make catalog "+
		"gives the shader a new version), or this machine computes floats differently (see docs/packages.md \"Demo catalog\")",
		got.SHA256, want.SHA256, diff)
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// lock holds an exclusive lock on path until unlock: two stacks starting at once generate once.
func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
