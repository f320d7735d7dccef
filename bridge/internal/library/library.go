// Package library is the bridge's local library: the shaders already in the package cache,
// listed and applied without the network. Each cache entry an import used keeps the edge's
// signed delivery beside it (<cache>/library/<sha256>.json), so the entry can be checked
// against its signed file list again, offline, before Blender opens it.
package library

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// Codes of the library's failures (the add-on words them from schemas/codes.json).
const (
	CodeMissing = codes.LibraryEntryMissing // no such entry, or no signed record for it
	CodeDamaged = codes.LibraryEntryDamaged // the entry no longer matches its signed file list
)

// MaxEntries bounds a listing (one stdio line holds at most 1 MiB).
const MaxEntries = 1000

// PreviewPath is the package's preview image, when the signed list has one.
const PreviewPath = "preview.webp"

// Cache is what the library needs of the package cache (bridge/internal/cache).
type Cache interface {
	Peek(sha string) (dir string, used time.Time, ok bool) // present, without marking it used
	Lookup(sha string) (dir string, ok bool)               // present, marked used
	Pin(sha string) (unpin func())
	Discard(sha string) error
}

// VerifyFunc checks that dir holds exactly the signed files (extract.VerifyTree).
type VerifyFunc func(ctx context.Context, dir string, files []shaderpkg.File) error

// Entry is one shader of the local library.
type Entry struct {
	SHA256       string
	ShaderID     string
	Version      string
	Name         string
	MaterialName string
	Dir          string
	Preview      string // absolute path of the preview image, "" when the package has none
	Resolutions  []string
	MinBlender   string
	MinOctane    string
	Bytes        int64
	UsedAt       time.Time
}

// Library lists and opens the cache's entries that carry a signed record.
type Library struct {
	dir     string // <cache>/library
	cache   Cache
	trusted map[string]ed25519.PublicKey
	verify  VerifyFunc
}

// New is the library of the cache in cacheDir.
func New(cacheDir string, c Cache, trusted map[string]ed25519.PublicKey, verify VerifyFunc) *Library {
	return &Library{dir: filepath.Join(cacheDir, "library"), cache: c, trusted: trusted, verify: verify}
}

func (l *Library) record(sha string) string { return filepath.Join(l.dir, sha+".json") }

// Keep records the signed delivery an import verified its cache entry against (temp file and
// rename: a crash leaves the old record or the new one).
func (l *Library) Keep(sha string, s shaderpkg.Signed) error {
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(l.dir, ".keep-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(raw)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), l.record(sha)); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// List returns the entries whose signed record verifies and whose manifest agrees with it,
// most recently used first. Records of entries the cache no longer holds are removed. Only the
// signature and the manifest are checked here; Open checks every file.
func (l *Library) List() ([]Entry, error) {
	des, err := os.ReadDir(l.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, de := range des {
		sha, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok || de.IsDir() {
			continue
		}
		dir, used, present := l.cache.Peek(sha)
		if !present {
			_ = os.Remove(l.record(sha)) // evicted or cleared: nothing left to apply
			continue
		}
		d, err := l.delivery(sha)
		if err != nil {
			continue // a record that does not verify is never listed (Open refuses it too)
		}
		e, err := describe(sha, dir, d)
		if err != nil {
			continue
		}
		e.UsedAt = used
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := b.UsedAt.Compare(a.UsedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	if len(out) > MaxEntries {
		out = out[:MaxEntries]
	}
	return out, nil
}

// delivery reads and verifies the signed record of sha (signature and fields; a record is kept
// after its validity window on purpose).
func (l *Library) delivery(sha string) (shaderpkg.Delivery, error) {
	raw, err := os.ReadFile(l.record(sha))
	if err != nil {
		return shaderpkg.Delivery{}, err
	}
	var s shaderpkg.Signed
	if err := json.Unmarshal(raw, &s); err != nil {
		return shaderpkg.Delivery{}, err
	}
	d, err := shaderpkg.VerifyDeliveryRecord(l.trusted, s)
	if err != nil {
		return shaderpkg.Delivery{}, err
	}
	if d.SHA256 != sha {
		return shaderpkg.Delivery{}, fmt.Errorf("the record of %s describes %s", sha, d.SHA256)
	}
	return d, nil
}

// describe reads the entry's manifest.json for what the listing shows; it must name the signed
// shader and version.
func describe(sha, dir string, d shaderpkg.Delivery) (Entry, error) {
	raw, err := os.ReadFile(filepath.Join(dir, shaderpkg.ManifestPath))
	if err != nil {
		return Entry{}, err
	}
	m, err := shaderpkg.ParseManifest(raw)
	if err != nil {
		return Entry{}, err
	}
	if m.ShaderID != d.ShaderID || m.Version != d.Version || m.MaterialName != d.MaterialName {
		return Entry{}, errors.New("manifest.json differs from the signed delivery")
	}
	e := Entry{SHA256: sha, ShaderID: d.ShaderID, Version: d.Version, Name: m.Name, MaterialName: d.MaterialName, Dir: dir,
		Resolutions: m.TextureResolutions, MinBlender: m.MinBlender, MinOctane: m.MinOctane}
	for _, f := range d.Files {
		e.Bytes += f.Size
		if f.Path == PreviewPath {
			e.Preview = filepath.Join(dir, filepath.FromSlash(PreviewPath))
		}
	}
	return e, nil
}

// Open checks the entry against its signed file list, file by file, and pins it for the caller
// (unpin when Blender has it). An entry that no longer matches is removed with its record.
func (l *Library) Open(ctx context.Context, sha string) (Entry, func(), error) {
	d, err := l.delivery(sha)
	if err != nil {
		return Entry{}, nil, &fault.Error{Code: CodeMissing, Msg: "this shader has no verified record in the local library", Err: err, Final: true}
	}
	unpin := l.cache.Pin(sha)
	dir, ok := l.cache.Lookup(sha)
	if !ok {
		unpin()
		_ = os.Remove(l.record(sha))
		return Entry{}, nil, &fault.Error{Code: CodeMissing, Msg: "this shader is no longer in the cache", Final: true}
	}
	if err := l.verify(ctx, dir, d.Files); err != nil {
		unpin()
		if ctx.Err() != nil {
			return Entry{}, nil, ctx.Err()
		}
		derr := l.cache.Discard(sha)
		_ = os.Remove(l.record(sha))
		return Entry{}, nil, &fault.Error{Code: CodeDamaged, Msg: "the cached copy no longer matches its signed file list; it was removed",
			Err: errors.Join(err, derr), Final: true}
	}
	e, err := describe(sha, dir, d)
	if err != nil {
		unpin()
		return Entry{}, nil, &fault.Error{Code: CodeDamaged, Msg: "the cached manifest does not match the signed delivery", Err: err, Final: true}
	}
	return e, unpin, nil
}
