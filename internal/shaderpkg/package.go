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
// Every entry is read, so the cost is one pass over the uncompressed content.
func ReadPackage(r io.ReaderAt, size int64) (*Package, error) {
	if size > MaxPackageSize {
		return nil, errf(CodeTooLarge, "", "package is %d bytes, limit is %d", size, int64(MaxPackageSize))
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, errf(CodePackageInvalid, "", "not a readable zip file: %v", err)
	}
	if zr == nil {
		return nil, errf(CodePackageInvalid, "", "not a readable zip file")
	}
	if len(zr.File) > MaxFiles+64 {
		return nil, errf(CodeTooLarge, "", "%d zip entries, limit is %d", len(zr.File), MaxFiles+64)
	}
	entries := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		if _, dup := entries[f.Name]; dup {
			return nil, errf(CodePackageInvalid, f.Name, "entry appears twice in the zip")
		}
		entries[f.Name] = f
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
	listed := make(map[string]File, len(m.Files))
	dirs := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Path] = f
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			dirs[d+"/"] = true
		}
	}
	for _, zf := range zr.File {
		if zf.Name == ManifestPath {
			continue
		}
		if _, ok := listed[zf.Name]; ok {
			continue
		}
		if dirs[zf.Name] && zf.FileInfo().IsDir() && zf.UncompressedSize64 == 0 {
			continue
		}
		return nil, errf(CodeExtraFile, safeName(zf.Name), "entry is not listed in manifest.json")
	}
	// Check in manifest order so errors are deterministic.
	for _, want := range m.Files {
		zf, ok := entries[want.Path]
		if !ok {
			return nil, errf(CodeMissingFile, want.Path, "listed in manifest.json but not in the zip")
		}
		if zf.UncompressedSize64 != uint64(want.Size) {
			return nil, errf(CodeHashMismatch, want.Path, "zip says %d bytes, manifest says %d", zf.UncompressedSize64, want.Size)
		}
		if err := checkEntryMeta(zf); err != nil {
			return nil, err
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, errf(CodePackageInvalid, want.Path, "cannot open entry: %v", err)
		}
		h := sha256.New()
		n, err := io.Copy(h, io.LimitReader(rc, want.Size+1))
		rc.Close()
		if err != nil {
			return nil, errf(CodePackageInvalid, want.Path, "cannot read entry: %v", err)
		}
		if n != want.Size {
			return nil, errf(CodeHashMismatch, want.Path, "entry has %d bytes, manifest says %d", n, want.Size)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
			return nil, errf(CodeHashMismatch, want.Path, "sha256 is %s, manifest says %s", got, want.SHA256)
		}
	}
	return &Package{Manifest: m, ManifestJSON: mjson, Size: size, zr: zr}, nil
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

// WritePackage builds a package from the files in src: material.blend, preview.webp and
// textures/<res>/*. Anything else in src (except manifest.json, which is regenerated) is an
// error. m supplies the metadata; its Files and TextureResolutions are computed here. The zip is
// reproducible: sorted entries, fixed timestamps, manifest.json first. It returns the manifest
// as written.
func WritePackage(w io.Writer, m Manifest, src fs.FS) (Manifest, error) {
	var paths []string
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
		if p == ManifestPath {
			return nil
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return Manifest{}, err
	}
	slices.Sort(paths)
	m.SchemaVersion = SchemaVersion
	m.Files = nil
	m.TextureResolutions = nil
	contents := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return Manifest{}, err
		}
		sum := sha256.Sum256(b)
		m.Files = append(m.Files, File{Path: p, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))})
		contents[p] = b
		if parts := strings.Split(p, "/"); len(parts) == 3 && parts[0] == TexturesDir && !slices.Contains(m.TextureResolutions, parts[1]) {
			m.TextureResolutions = append(m.TextureResolutions, parts[1])
		}
	}
	mjson, err := m.Marshal()
	if err != nil {
		return Manifest{}, err
	}
	zw := zip.NewWriter(w)
	add := func(name string, b []byte) error {
		method := zip.Deflate
		switch strings.ToLower(path.Ext(name)) {
		case ".png", ".jpg", ".jpeg", ".webp":
			method = zip.Store // already compressed
		}
		hdr := &zip.FileHeader{Name: name, Method: method, Modified: zipEpoch}
		hdr.SetMode(0o644)
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		_, err = fw.Write(b)
		return err
	}
	if err := add(ManifestPath, mjson); err != nil {
		return Manifest{}, err
	}
	for _, p := range paths {
		if err := add(p, contents[p]); err != nil {
			return Manifest{}, err
		}
	}
	if err := zw.Close(); err != nil {
		return Manifest{}, err
	}
	return ParseManifest(mjson)
}
