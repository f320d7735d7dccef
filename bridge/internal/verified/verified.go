// Package verified remembers the package directories this process has checked against their
// signed file lists, so that a warm cache hit is not re-hashed on every import
// (docs/security.md, "Cache hits"; it was a quarter of a warm import, docs/latency.md).
//
// After a full check (extract.VerifyTree) it keeps, in memory only, a record of the tree as the
// file system describes it: every directory's entries and identity, and every file's identity,
// size, mode, modification time and status-change time (ctime). The next check of the
// directory compares that record with a fresh lstat of each path, which costs microseconds; any
// difference, or an error, means a full check again. Writing, truncating, renaming, replacing or
// re-dating a file through the file system changes its ctime or its identity, and ctime cannot be
// set back without root, so an entry whose record still matches provably holds the bytes that
// were hashed. A record is only kept when every file was last changed well before the check
// began (coarse file system clocks: a change in the same tick would not show) and nothing
// changed while it ran. Records live in this process: every bridge start hashes each entry
// again on its first use, so an entry torn by a crash or changed offline is still caught.
// Where the platform gives no ctime and file identity (Windows), every check is a full one.
package verified

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// Check is a full check of dir against a signed file list (extract.VerifyTree, extract.VerifySet).
type Check func(ctx context.Context, dir string, files []shaderpkg.File) error

// settle is how long before a full check every file must have last changed for its record to be
// kept: more than the coarsest file system clock (FAT: 2 s), so any later change shows.
const settle = 3 * time.Second

// maxRecords bounds the memory: past it the records are dropped (and rebuilt on use).
const maxRecords = 4096

// Trees answers checks of package directories from records of earlier full checks.
type Trees struct {
	check Check
	now   func() time.Time

	mu      sync.Mutex
	records map[string]record // by directory
}

// record is what a directory looked like when it passed a full check against list.
type record struct {
	list  [32]byte
	paths []entry
}

// entry is one path of the tree (relative, "." for the directory itself), lstat'ed.
type entry struct {
	rel   string
	stamp stamp
	names []string // a directory's entries, sorted
}

// stamp is what changes when a path's content or identity does.
type stamp struct {
	mode         fs.FileMode
	size         int64
	mtime, ctime int64 // ns
	dev, ino     uint64
}

// New wraps a full check.
func New(check Check) *Trees {
	return &Trees{check: check, now: time.Now, records: map[string]record{}}
}

// Check returns nil when dir still is exactly what passed a full check against files, else the
// full check's answer.
func (t *Trees) Check(ctx context.Context, dir string, files []shaderpkg.File) error {
	list := digest(files)
	t.mu.Lock()
	rec, ok := t.records[dir]
	t.mu.Unlock()
	if ok && rec.list == list && unchanged(dir, rec.paths) {
		return nil
	}
	start := t.now()
	before, sealable := snapshot(dir, start.Add(-settle))
	err := t.check(ctx, dir, files)
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.records, dir)
	if err != nil || !sealable || !unchanged(dir, before) {
		return err
	}
	if len(t.records) >= maxRecords {
		clear(t.records)
	}
	t.records[dir] = record{list: list, paths: before}
	return nil
}

// snapshot records every path under dir, parents first. sealable is false when a path cannot be
// described (no ctime or identity on this platform, a link, a special file) or a file changed
// after settled.
func snapshot(dir string, settled time.Time) (paths []entry, sealable bool) {
	sealable = true
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		e, ok := describe(p)
		if !ok {
			return fs.SkipAll
		}
		e.rel = rel
		if !e.stamp.mode.IsDir() && (e.stamp.mtime >= settled.UnixNano() || e.stamp.ctime >= settled.UnixNano()) {
			sealable = false
		}
		paths = append(paths, e)
		return nil
	})
	if err != nil || len(paths) == 0 {
		return nil, false
	}
	return paths, sealable && complete(paths)
}

// complete reports whether the walk described every path (describe stops it at the first it cannot).
func complete(paths []entry) bool {
	n := 1 // the directory itself
	for _, e := range paths {
		n += len(e.names)
	}
	return n == len(paths)
}

// describe lstats p; a directory also lists its entries. Only directories and regular files with
// a ctime and an identity can be described.
func describe(p string) (entry, bool) {
	fi, err := os.Lstat(p)
	if err != nil {
		return entry{}, false
	}
	st, ok := stampOf(fi)
	if !ok || !(fi.Mode().IsDir() || fi.Mode().IsRegular()) {
		return entry{}, false
	}
	e := entry{stamp: st}
	if fi.IsDir() {
		des, err := os.ReadDir(p)
		if err != nil {
			return entry{}, false
		}
		for _, de := range des {
			e.names = append(e.names, de.Name())
		}
		slices.Sort(e.names)
		// A directory's times change whenever an entry is added, removed or renamed, and the
		// cache re-dates an entry's directory on every use (its LRU order): its names say it.
		e.stamp.mtime, e.stamp.ctime, e.stamp.size = 0, 0, 0
	}
	return e, true
}

// unchanged reports whether every recorded path is still described the same.
func unchanged(dir string, paths []entry) bool {
	if len(paths) == 0 {
		return false
	}
	for _, want := range paths {
		got, ok := describe(filepath.Join(dir, want.rel))
		if !ok || got.stamp != want.stamp || !slices.Equal(got.names, want.names) {
			return false
		}
	}
	return true
}

func digest(files []shaderpkg.File) [32]byte {
	h := sha256.New()
	var n [8]byte
	for _, f := range files {
		binary.LittleEndian.PutUint64(n[:], uint64(len(f.Path)))
		h.Write(n[:])
		h.Write([]byte(f.Path))
		h.Write([]byte(f.SHA256))
		binary.LittleEndian.PutUint64(n[:], uint64(f.Size))
		h.Write(n[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}
