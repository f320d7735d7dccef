package shaderpkg

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// MaxPackageSize bounds the zip file itself.
const MaxPackageSize = MaxTotalSize + 64<<20

// maxRatio bounds uncompressed/compressed size per entry (zip-bomb guard); small entries are exempt.
const maxRatio = 200

// Package is a zip whose every entry has been checked against its manifest.
type Package struct {
	Manifest     Manifest
	ManifestJSON []byte // the exact bytes of manifest.json
	SHA256       string // hex SHA-256 of the whole zip, when read with ReadPackageBytes
	Size         int64
	zr           *zip.Reader
}

// ReadPackageBytes reads a package held in memory and records its hash.
func ReadPackageBytes(b []byte) (*Package, error) {
	p, err := ReadPackage(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	p.SHA256 = hex.EncodeToString(sum[:])
	return p, nil
}

// ReadPackage opens a zip and verifies it completely: manifest.json parses and validates; every
// listed file is present as a regular, unencrypted, stored-or-deflated entry with the listed size
// and SHA-256; nothing else is in the zip (directory entries for listed files' parents aside).
// Every entry is read, so the cost is one pass over the uncompressed content. For a
// schema_version 2 package this is the base; its texture sets are read with ReadTextureSet.
func ReadPackage(r io.ReaderAt, size int64) (*Package, error) {
	zr, entries, err := openZip(r, size)
	if err != nil {
		return nil, err
	}
	mf, ok := entries[ManifestPath]
	if !ok {
		return nil, errf(CodeMissingFile, ManifestPath, "the package has no manifest.json")
	}
	mjson, err := readEntry(mf, MaxManifestBytes)
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(mjson)
	if err != nil {
		return nil, err
	}
	if err := verifyEntries(zr, entries, m.Files, ManifestPath); err != nil {
		return nil, err
	}
	return &Package{Manifest: m, ManifestJSON: mjson, Size: size, zr: zr}, nil
}

// ReadTextureSet verifies a whole texture set zip against its manifest entry: the zip's size and
// SHA-256, then exactly the set's files as ReadPackage checks a package's (flat names, no
// directory entries).
func ReadTextureSet(r io.ReaderAt, size int64, set TextureSet) error {
	if err := validateSet("texture_set", set); err != nil {
		return err
	}
	if size != set.Size {
		return errf(CodeHashMismatch, "", "%s texture set is %d bytes, manifest says %d", set.Resolution, size, set.Size)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return errf(CodePackageInvalid, "", "cannot read the %s texture set: %v", set.Resolution, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != set.SHA256 {
		return errf(CodeHashMismatch, "", "%s texture set sha256 is %s, manifest says %s", set.Resolution, got, set.SHA256)
	}
	zr, entries, err := openZip(r, size)
	if err != nil {
		return err
	}
	return verifyEntries(zr, entries, set.Files, "")
}

// openZip opens a zip within the size limits and indexes its entries (refusing duplicates).
func openZip(r io.ReaderAt, size int64) (*zip.Reader, map[string]*zip.File, error) {
	if size > MaxPackageSize {
		return nil, nil, errf(CodeTooLarge, "", "package is %d bytes, limit is %d", size, int64(MaxPackageSize))
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, nil, errf(CodePackageInvalid, "", "not a readable zip file: %v", err)
	}
	if zr == nil {
		return nil, nil, errf(CodePackageInvalid, "", "not a readable zip file")
	}
	if len(zr.File) > MaxFiles+64 {
		return nil, nil, errf(CodeTooLarge, "", "%d zip entries, limit is %d", len(zr.File), MaxFiles+64)
	}
	entries := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if _, dup := entries[f.Name]; dup {
			return nil, nil, errf(CodePackageInvalid, f.Name, "entry appears twice in the zip")
		}
		entries[f.Name] = f
	}
	return zr, entries, nil
}

// verifyEntries checks that the zip holds exactly files (plus the entry named skip, and empty
// directory entries for their parents), each with its listed size and SHA-256.
func verifyEntries(zr *zip.Reader, entries map[string]*zip.File, files []File, skip string) error {
	listed := make(map[string]File, len(files))
	dirs := map[string]bool{}
	for _, f := range files {
		listed[f.Path] = f
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			dirs[d+"/"] = true
		}
	}
	for _, zf := range zr.File {
		if zf.Name == skip {
			continue
		}
		if _, ok := listed[zf.Name]; ok {
			continue
		}
		if dirs[zf.Name] && zf.FileInfo().IsDir() && zf.UncompressedSize64 == 0 {
			continue
		}
		return errf(CodeExtraFile, safeName(zf.Name), "entry is not listed in manifest.json")
	}
	// Check in manifest order so errors are deterministic.
	for _, want := range files {
		zf, ok := entries[want.Path]
		if !ok {
			return errf(CodeMissingFile, want.Path, "listed in manifest.json but not in the zip")
		}
		if zf.UncompressedSize64 != uint64(want.Size) {
			return errf(CodeHashMismatch, want.Path, "zip says %d bytes, manifest says %d", zf.UncompressedSize64, want.Size)
		}
		if err := checkEntryMeta(zf); err != nil {
			return err
		}
		rc, err := zf.Open()
		if err != nil {
			return errf(CodePackageInvalid, want.Path, "cannot open entry: %v", err)
		}
		h := sha256.New()
		n, err := io.Copy(h, io.LimitReader(rc, want.Size+1))
		rc.Close()
		if err != nil {
			return errf(CodePackageInvalid, want.Path, "cannot read entry: %v", err)
		}
		if n != want.Size {
			return errf(CodeHashMismatch, want.Path, "entry has %d bytes, manifest says %d", n, want.Size)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
			return errf(CodeHashMismatch, want.Path, "sha256 is %s, manifest says %s", got, want.SHA256)
		}
	}
	return nil
}

func checkEntryMeta(zf *zip.File) error {
	if zf.Flags&0x1 != 0 {
		return errf(CodePackageInvalid, zf.Name, "entry is encrypted")
	}
	if zf.Method != zip.Store && zf.Method != zip.Deflate {
		return errf(CodePackageInvalid, zf.Name, "entry uses compression method %d; only store and deflate are allowed", zf.Method)
	}
	if !zf.Mode().IsRegular() {
		return errf(CodePackageInvalid, zf.Name, "entry is not a regular file (mode %s)", zf.Mode())
	}
	if zf.UncompressedSize64 > 1<<20 && zf.CompressedSize64 > 0 && zf.UncompressedSize64/zf.CompressedSize64 > maxRatio {
		return errf(CodeTooLarge, zf.Name, "compression ratio above %d:1", maxRatio)
	}
	return nil
}

func readEntry(zf *zip.File, limit int64) ([]byte, error) {
	if err := checkEntryMeta(zf); err != nil {
		return nil, err
	}
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, errf(CodeTooLarge, zf.Name, "entry is %d bytes, limit is %d", zf.UncompressedSize64, limit)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, errf(CodePackageInvalid, zf.Name, "cannot open entry: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, errf(CodePackageInvalid, zf.Name, "cannot read entry: %v", err)
	}
	if int64(len(b)) > limit {
		return nil, errf(CodeTooLarge, zf.Name, "entry exceeds %d bytes", limit)
	}
	return b, nil
}

// safeName keeps hostile entry names printable in error messages.
func safeName(s string) string {
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// Open returns the content of a listed entry. The package was verified when it was read.
func (p *Package) Open(name string) (io.ReadCloser, error) {
	if _, ok := p.Manifest.File(name); !ok {
		return nil, errf(CodeMissingFile, name, "not in the package")
	}
	return p.zr.Open(name)
}

// ReadFile returns the content of a listed entry.
func (p *Package) ReadFile(name string) ([]byte, error) {
	rc, err := p.Open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// zipEpoch is the fixed modification time written into packages so builds are reproducible.
var zipEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// WritePackage builds a package from the files in src. For schema_version 1 (the default):
// material.blend, preview.webp and textures/<res>/*; its Files and TextureResolutions are
// computed here. For schema_version 2: material.blend and preview.webp only, with m.TextureSets
// already filled (see WriteTextureSet); this is the base zip. Anything else in src (except
// manifest.json, which is regenerated) is an error. The zip is reproducible: sorted entries,
// fixed timestamps, manifest.json first. It returns the manifest as written.
func WritePackage(w io.Writer, m Manifest, src fs.FS) (Manifest, error) {
	entries, err := readTree(src, ManifestPath)
	if err != nil {
		return Manifest{}, err
	}
	if m.SchemaVersion != SchemaVersionV2 {
		m.SchemaVersion = SchemaVersion
	}
	m.Files = nil
	m.TextureResolutions = nil
	for _, e := range entries {
		m.Files = append(m.Files, e.file)
		if parts := strings.Split(e.file.Path, "/"); m.SchemaVersion == SchemaVersion && len(parts) == 3 && parts[0] == TexturesDir && !slices.Contains(m.TextureResolutions, parts[1]) {
			m.TextureResolutions = append(m.TextureResolutions, parts[1])
		}
	}
	mjson, err := m.Marshal()
	if err != nil {
		return Manifest{}, err
	}
	entries = append([]treeEntry{{File{Path: ManifestPath}, mjson}}, entries...)
	if err := writeZip(w, entries); err != nil {
		return Manifest{}, err
	}
	return ParseManifest(mjson)
}

// WriteTextureSet writes the texture set zip of resolution res from the flat files in src
// (reproducibly, like WritePackage) and returns its manifest entry.
func WriteTextureSet(w io.Writer, res string, src fs.FS) (TextureSet, error) {
	entries, err := readTree(src, "")
	if err != nil {
		return TextureSet{}, err
	}
	set := TextureSet{Resolution: res}
	for _, e := range entries {
		set.Files = append(set.Files, e.file)
	}
	field := "texture_sets[" + res + "]"
	if err := validateSetContent(field, set); err != nil {
		return TextureSet{}, err
	}
	h := sha256.New()
	n := &countWriter{}
	if err := writeZip(io.MultiWriter(w, h, n), entries); err != nil {
		return TextureSet{}, err
	}
	set.SHA256, set.Size = hex.EncodeToString(h.Sum(nil)), n.n
	return set, validateSet(field, set)
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

// treeEntry is one file to zip: its manifest entry and content.
type treeEntry struct {
	file File
	data []byte
}

// readTree reads every regular file of src in sorted order, leaving out the one named skip.
func readTree(src fs.FS, skip string) ([]treeEntry, error) {
	var out []treeEntry
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return errf(CodePackageInvalid, p, "not a regular file")
		}
		if p == skip {
			return nil
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out = append(out, treeEntry{File{Path: p, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))}, b})
		return nil
	})
	slices.SortFunc(out, func(a, b treeEntry) int { return strings.Compare(a.file.Path, b.file.Path) })
	return out, err
}

// writeZip writes entries in the given order with fixed times and a fixed method per type.
func writeZip(w io.Writer, entries []treeEntry) error {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		method := zip.Deflate
		switch strings.ToLower(path.Ext(e.file.Path)) {
		case ".png", ".jpg", ".jpeg", ".webp":
			method = zip.Store // already compressed
		}
		hdr := &zip.FileHeader{Name: e.file.Path, Method: method, Modified: zipEpoch}
		hdr.SetMode(0o644)
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := fw.Write(e.data); err != nil {
			return err
		}
	}
	return zw.Close()
}
