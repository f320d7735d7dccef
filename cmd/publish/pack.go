package main

import (
	"bytes"
	"cmp"
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
// schema_version 2 packs textures/<res>/<files> as one texture set zip per resolution.
type sourceMeta struct {
	SchemaVersion int      `json:"schema_version,omitempty"`
	ShaderID      string   `json:"shader_id"`
	Version       string   `json:"version"`
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	MaterialName  string   `json:"material_name"`
	Category      string   `json:"category"`
	Tags          []string `json:"tags"`
	MinBlender    string   `json:"min_blender"`
	MinOctane     string   `json:"min_octane"`
	IsFree        bool     `json:"is_free"`
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
	// A schema_version 2 package: its sets are beside Package (shaderpkg.TextureSetKey).
	SchemaVersion int          `json:"schema_version,omitempty"`
	TextureSets   []catalogSet `json:"texture_sets,omitempty"`
}

type catalogSet struct {
	Resolution string `json:"resolution"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
}

// hiding hides top-level names (meta.json; textures/ of a v2 source) from the package writer.
type hiding struct {
	fs.FS
	names []string
}

func (w hiding) ReadDir(name string) ([]fs.DirEntry, error) {
	es, err := fs.ReadDir(w.FS, name)
	if name == "." {
		es = slices.DeleteFunc(es, func(e fs.DirEntry) bool { return slices.Contains(w.names, e.Name()) })
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
		// One row per shader and format: a v2 version is listed beside the shader's v1 one.
		idx.Shaders = slices.DeleteFunc(idx.Shaders, func(x catalogEntry) bool {
			return x.ShaderID == e.ShaderID && x.SchemaVersion == e.SchemaVersion
		})
		idx.Shaders = append(idx.Shaders, e)
		bar.Add(1, e.ShaderID)
	}
	bar.Done()
	// v1 row first: readers that take a shader's first row (testenv.DemoPackage, e2e) get the same
	// package on every run, and publish registers the v2 version last (it is the newest).
	slices.SortFunc(idx.Shaders, func(a, b catalogEntry) int {
		return cmp.Or(strings.Compare(a.ShaderID, b.ShaderID), cmp.Compare(a.SchemaVersion, b.SchemaVersion))
	})
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
		SchemaVersion: meta.SchemaVersion,
		ShaderID:      meta.ShaderID, Version: meta.Version, Name: meta.Name, Description: meta.Description,
		MaterialName: meta.MaterialName, Category: meta.Category, Tags: meta.Tags,
		MinBlender: meta.MinBlender, MinOctane: meta.MinOctane,
	}
	base := hiding{os.DirFS(src), []string{metaFile}}
	var sets map[string][]byte
	switch meta.SchemaVersion {
	case 0, shaderpkg.SchemaVersion:
	case shaderpkg.SchemaVersionV2:
		if m.TextureSets, sets, err = packSets(filepath.Join(src, shaderpkg.TexturesDir)); err != nil {
			return catalogEntry{}, err
		}
		base.names = append(base.names, shaderpkg.TexturesDir)
	default:
		return catalogEntry{}, fmt.Errorf("meta.json: schema_version %d is not 1 or 2", meta.SchemaVersion)
	}
	var buf bytes.Buffer
	m, err = shaderpkg.WritePackage(&buf, m, base)
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
	e := catalogEntry{
		ShaderID: m.ShaderID, Version: m.Version, IsFree: meta.IsFree,
		Package: "packages/" + m.ShaderID + "-" + m.Version + ".zip", Preview: "previews/" + m.ShaderID + ".webp",
		SHA256: pkg.SHA256, Size: pkg.Size,
	}
	if m.SchemaVersion == shaderpkg.SchemaVersionV2 {
		// v2 lays the folder out as the bucket does: the base at the v1 key, sets beside it.
		e.SchemaVersion, e.TextureSets = m.SchemaVersion, []catalogSet{}
		e.Package = "packages/" + m.ShaderID + "/" + m.Version + ".zip"
		for _, set := range m.TextureSets {
			e.TextureSets = append(e.TextureSets, catalogSet{set.Resolution, set.SHA256, set.Size})
			if err := writeOut(out, shaderpkg.TextureSetKey(m.ShaderID, m.Version, set.Resolution), sets[set.Resolution]); err != nil {
				return catalogEntry{}, err
			}
		}
		// A set of an earlier pack of this version that it no longer has would be published
		// by nothing and committed by mistake.
		stale, _ := filepath.Glob(filepath.Join(out, filepath.FromSlash(shaderpkg.TextureSetKey(m.ShaderID, m.Version, "*"))))
		for _, p := range stale {
			res := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "textures-"), ".zip")
			if _, ok := m.Set(res); !ok {
				if err := os.Remove(p); err != nil {
					return catalogEntry{}, err
				}
			}
		}
	}
	if err := writeOut(out, e.Package, buf.Bytes()); err != nil {
		return catalogEntry{}, err
	}
	if err := writeOut(out, e.Preview, prev); err != nil {
		return catalogEntry{}, err
	}
	return e, nil
}

// writeOut replaces out/rel (a slash path) with data, making its folder.
func writeOut(out, rel string, data []byte) error {
	p := filepath.Join(out, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(p, data, 0o644)
}

// packSets writes one texture set zip per folder of dir (textures/<res>/<files>), ascending by
// resolution, and reads each back. It returns the manifest's sets and the zips by resolution.
func packSets(dir string) ([]shaderpkg.TextureSet, map[string][]byte, error) {
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, nil, err
	}
	var sets []shaderpkg.TextureSet
	zips := map[string][]byte{}
	for _, e := range es {
		if !e.IsDir() {
			return nil, nil, fmt.Errorf("%s: %s is not a resolution folder (textures/<res>/<files>)", dir, e.Name())
		}
		var buf bytes.Buffer
		set, err := shaderpkg.WriteTextureSet(&buf, e.Name(), os.DirFS(filepath.Join(dir, e.Name())))
		if err != nil {
			return nil, nil, fmt.Errorf("textures/%s: %w", e.Name(), err)
		}
		if err := shaderpkg.ReadTextureSet(bytes.NewReader(buf.Bytes()), int64(buf.Len()), set); err != nil {
			return nil, nil, fmt.Errorf("textures/%s: written set does not read back: %w", e.Name(), err)
		}
		sets = append(sets, set)
		zips[set.Resolution] = buf.Bytes()
	}
	slices.SortFunc(sets, func(a, b shaderpkg.TextureSet) int { return shaderpkg.CompareResolutions(a.Resolution, b.Resolution) })
	return sets, zips, nil
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
