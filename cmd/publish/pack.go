package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/octanebridge/octane-bridge/internal/atomicfile"
	"github.com/octanebridge/octane-bridge/internal/publishing"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg/preview"
)

// sourceMeta is meta.json in a package source folder: the manifest's fields minus the file list
// (computed when packing) plus catalog listing fields that are not part of the package.
type sourceMeta struct {
	ShaderID     string   `json:"shader_id"`
	Version      string   `json:"version"`
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	MaterialName string   `json:"material_name"`
	Category     string   `json:"category"`
	Tags         []string `json:"tags"`
	MinBlender   string   `json:"min_blender"`
	MinOctane    string   `json:"min_octane"`
	IsFree       bool     `json:"is_free"`
}

const metaFile = "meta.json"

// catalogIndex is catalog.json beside a folder of packages: listing data per package.
type catalogIndex struct {
	Shaders []catalogEntry `json:"shaders"`
}

type catalogEntry struct {
	ShaderID string `json:"shader_id"`
	Version  string `json:"version"`
	Package  string `json:"package"` // relative to catalog.json
	Preview  string `json:"preview"` // relative to catalog.json
	IsFree   bool   `json:"is_free"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
}

// withoutMeta hides meta.json from the package writer.
type withoutMeta struct{ fs.FS }

func (w withoutMeta) ReadDir(name string) ([]fs.DirEntry, error) {
	es, err := fs.ReadDir(w.FS, name)
	if name == "." {
		es = slices.DeleteFunc(es, func(e fs.DirEntry) bool { return e.Name() == metaFile })
	}
	return es, err
}

// packDirs turns package source folders into zips under out/packages, previews under
// out/previews, and merges their listing into out/catalog.json.
func packDirs(srcs []string, out string, stdout io.Writer) error {
	if len(srcs) == 0 {
		return fmt.Errorf("pack: no source folders given")
	}
	for _, d := range []string{"packages", "previews"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}
	idx, err := readIndex(filepath.Join(out, "catalog.json"))
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	bar := publishing.NewProgress(stdout, "pack", int64(len(srcs)))
	for _, src := range srcs {
		e, err := packOne(src, out)
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		idx.Shaders = slices.DeleteFunc(idx.Shaders, func(x catalogEntry) bool { return x.ShaderID == e.ShaderID })
		idx.Shaders = append(idx.Shaders, e)
		bar.Add(1, e.ShaderID)
	}
	bar.Done()
	slices.SortFunc(idx.Shaders, func(a, b catalogEntry) int { return strings.Compare(a.ShaderID, b.ShaderID) })
	b, _ := json.MarshalIndent(idx, "", "  ")
	return atomicfile.Write(filepath.Join(out, "catalog.json"), append(b, '\n'), 0o644)
}

func packOne(src, out string) (catalogEntry, error) {
	raw, err := os.ReadFile(filepath.Join(src, metaFile))
	if err != nil {
		return catalogEntry{}, err
	}
	var meta sourceMeta
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&meta); err != nil {
		return catalogEntry{}, fmt.Errorf("meta.json: %w", err)
	}
	m := shaderpkg.Manifest{
		ShaderID: meta.ShaderID, Version: meta.Version, Name: meta.Name, Description: meta.Description,
		MaterialName: meta.MaterialName, Category: meta.Category, Tags: meta.Tags,
		MinBlender: meta.MinBlender, MinOctane: meta.MinOctane,
	}
	var buf bytes.Buffer
	m, err = shaderpkg.WritePackage(&buf, m, withoutMeta{os.DirFS(src)})
	if err != nil {
		return catalogEntry{}, err
	}
	pkg, err := shaderpkg.ReadPackageBytes(buf.Bytes())
	if err != nil {
		return catalogEntry{}, fmt.Errorf("written package does not read back: %w", err)
	}
	prev, err := pkg.ReadFile(shaderpkg.PreviewPath)
	if err != nil {
		return catalogEntry{}, err
	}
	// Refuse here what publish would refuse: the grid's renditions are derived from this file
	// when the package is published (they are not written to out/previews; nothing serves it).
	if _, err := preview.Renditions(prev); err != nil {
		return catalogEntry{}, err
	}
	name := m.ShaderID + "-" + m.Version + ".zip"
	if err := atomicfile.Write(filepath.Join(out, "packages", name), buf.Bytes(), 0o644); err != nil {
		return catalogEntry{}, err
	}
	if err := atomicfile.Write(filepath.Join(out, "previews", m.ShaderID+".webp"), prev, 0o644); err != nil {
		return catalogEntry{}, err
	}
	return catalogEntry{
		ShaderID: m.ShaderID, Version: m.Version, IsFree: meta.IsFree,
		Package: "packages/" + name, Preview: "previews/" + m.ShaderID + ".webp",
		SHA256: pkg.SHA256, Size: pkg.Size,
	}, nil
}

func readIndex(path string) (catalogIndex, error) {
	var idx catalogIndex
	b, err := os.ReadFile(path)
	if err != nil {
		return idx, err
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return idx, fmt.Errorf("%s: %w", path, err)
	}
	return idx, nil
}
