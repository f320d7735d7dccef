// Package library is the bridge's local library: the shaders already in the package cache,
// listed and applied without the network. Each import keeps the edge's signed delivery beside
// the cache entries it used (<cache>/library/<key>.json), so they can be checked against their
// signed file lists again, offline, before Blender opens them. The key is the package's sha256
// (a v1 package, or a v2 base without textures) or "<base sha256>.<resolution>" (a v2 base with
// one texture set: each resolution used is its own library entry, sharing the base).
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
	SHA256       string // the package's (a v2 package's base)
	Resolution   string // a v2 entry's texture set; "" for v1 and untextured entries
	ShaderID     string
	Version      string
	Name         string
	MaterialName string
	Dir          string
	TexturesDir  string   // the texture set's entry; "" without one
	Preview      string   // absolute path of the preview image, "" when the package has none
	Resolutions  []string // what the entry holds: v1's folders, a v2 entry's one set
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
	verify  VerifyFunc // a package's entry (extract.VerifyTree)
	verSet  VerifyFunc // a texture set's entry (extract.VerifySet)
}

// New is the library of the cache in cacheDir.
func New(cacheDir string, c Cache, trusted map[string]ed25519.PublicKey, verify, verifySet VerifyFunc) *Library {
	return &Library{dir: filepath.Join(cacheDir, "library"), cache: c, trusted: trusted, verify: verify, verSet: verifySet}
}

func (l *Library) record(key string) string { return filepath.Join(l.dir, key+".json") }

// Key is the library key of a delivery and the package sha256 and resolution it is made of.
func Key(d shaderpkg.Delivery) (key, sha, res string) {
	if d.V != shaderpkg.DeliveryVersionV2 {
		return d.SHA256, d.SHA256, ""
	}
	if d.Textures == nil {
		return d.Base.SHA256, d.Base.SHA256, ""
	}
	return d.Base.SHA256 + "." + d.Resolution, d.Base.SHA256, d.Resolution
}

// parts are a delivery's cache entries: the package (or base), then the texture set if any.
func parts(d shaderpkg.Delivery) (pkg shaderpkg.DeliveryObject, set *shaderpkg.TextureSet) {
	if d.V != shaderpkg.DeliveryVersionV2 {
		return shaderpkg.DeliveryObject{SHA256: d.SHA256, Size: d.Size, Files: d.Files}, nil
	}
	return d.Base, d.Textures
}

// Keep records the signed delivery an import verified its cache entries against (temp file and
// rename: a crash leaves the old record or the new one).
func (l *Library) Keep(s shaderpkg.Signed) error {
	d, err := shaderpkg.VerifyDeliveryRecord(l.trusted, s)
	if err != nil {
		return err
	}
	key, _, _ := Key(d)
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
	if err := os.Rename(f.Name(), l.record(key)); err != nil {
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
		key, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok || de.IsDir() {
			continue
		}
		sha, _, _ := strings.Cut(key, ".")
		dir, used, present := l.cache.Peek(sha)
		if !present {
			_ = os.Remove(l.record(key)) // evicted or cleared: nothing left to apply
			continue
		}
		d, err := l.delivery(key)
		if err != nil {
			continue // a record that does not verify is never listed (Open refuses it too)
		}
		setDir := ""
		if _, set := parts(d); set != nil {
			var setUsed time.Time
			if setDir, setUsed, present = l.cache.Peek(set.SHA256); !present {
				_ = os.Remove(l.record(key)) // its texture set was evicted
				continue
			}
			used = later(used, setUsed)
		}
		e, err := describe(dir, setDir, d)
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
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Resolution, b.Resolution)
	})
	if len(out) > MaxEntries {
		out = out[:MaxEntries]
	}
	return out, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// delivery reads and verifies the signed record of key (signature and fields; a record is kept
// after its validity window on purpose).
func (l *Library) delivery(key string) (shaderpkg.Delivery, error) {
	raw, err := os.ReadFile(l.record(key))
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
	if k, _, _ := Key(d); k != key {
		return shaderpkg.Delivery{}, fmt.Errorf("the record of %s describes %s", key, k)
	}
	return d, nil
}

// describe reads the entry's manifest.json for what the listing shows; it must name the signed
// shader and version. setDir is the texture set's entry ("" without one).
func describe(dir, setDir string, d shaderpkg.Delivery) (Entry, error) {
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
	_, sha, res := Key(d)
	e := Entry{SHA256: sha, Resolution: res, ShaderID: d.ShaderID, Version: d.Version, Name: m.Name, MaterialName: d.MaterialName,
		Dir: dir, TexturesDir: setDir, Resolutions: m.TextureResolutions, MinBlender: m.MinBlender, MinOctane: m.MinOctane}
	pkg, set := parts(d)
	for _, f := range pkg.Files {
		e.Bytes += f.Size
		if f.Path == PreviewPath {
			e.Preview = filepath.Join(dir, filepath.FromSlash(PreviewPath))
		}
	}
	if d.V == shaderpkg.DeliveryVersionV2 {
		e.Resolutions = []string{}
	}
	if set != nil {
		e.Resolutions = []string{res}
		for _, f := range set.Files {
			e.Bytes += f.Size
		}
	}
	return e, nil
}

// Open checks the entry (the package sha256 and, for a v2 entry with textures, its resolution)
// against its signed file lists, file by file, and pins its cache entries for the caller (unpin
// when Blender has them). A cache entry that no longer matches is removed with the record; the
// others (the base, other resolutions) stay.
func (l *Library) Open(ctx context.Context, sha, res string) (Entry, func(), error) {
	key := sha
	if res != "" {
		key += "." + res
	}
	d, err := l.delivery(key)
	if err != nil {
		return Entry{}, nil, &fault.Error{Code: CodeMissing, Msg: "this shader has no verified record in the local library", Err: err, Final: true}
	}
	pkg, set := parts(d)
	type part struct {
		obj    shaderpkg.DeliveryObject
		verify VerifyFunc
	}
	want := []part{{pkg, l.verify}}
	if set != nil {
		want = append(want, part{*set, l.verSet})
	}
	var unpins []func()
	unpin := func() {
		for _, u := range unpins {
			u()
		}
	}
	dirs := make([]string, 2)
	for i, p := range want {
		unpins = append(unpins, l.cache.Pin(p.obj.SHA256))
		dir, ok := l.cache.Lookup(p.obj.SHA256)
		if !ok {
			unpin()
			_ = os.Remove(l.record(key))
			return Entry{}, nil, &fault.Error{Code: CodeMissing, Msg: "this shader is no longer in the cache", Final: true}
		}
		if err := p.verify(ctx, dir, p.obj.Files); err != nil {
			unpin()
			if ctx.Err() != nil {
				return Entry{}, nil, ctx.Err()
			}
			derr := l.cache.Discard(p.obj.SHA256)
			_ = os.Remove(l.record(key))
			return Entry{}, nil, &fault.Error{Code: CodeDamaged, Msg: "the cached copy no longer matches its signed file list; it was removed",
				Err: errors.Join(err, derr), Final: true}
		}
		dirs[i] = dir
	}
	e, err := describe(dirs[0], dirs[1], d)
	if err != nil {
		unpin()
		return Entry{}, nil, &fault.Error{Code: CodeDamaged, Msg: "the cached manifest does not match the signed delivery", Err: err, Final: true}
	}
	return e, unpin, nil
}
