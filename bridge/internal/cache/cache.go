// Package cache keeps extracted shader packages on disk, addressed by the SHA-256 of their zip.
//
// Layout under the cache directory:
//
//	pkg/<sha256>/              a complete, extracted package (present only after an atomic rename)
//	downloads/<sha>.zip.part   a download in progress (resumable across restarts)
//	tmp/tmp-<pid>-<random>/    an entry being filled (removed at Open once <pid> is gone)
//	tmp/tmp-del-<random>/      an entry being deleted (removed at Open)
//
// An entry's directory modification time records its last use, so the LRU order survives restarts.
package cache

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// Stable error codes.
const (
	CodeInvalidKey = codes.CacheInvalidKey // the key is not a lowercase hex SHA-256
	CodeIO         = codes.CacheIO         // the file system refused (full disk, permissions)
	CodeFill       = codes.CacheFillFailed // fill returned an error (wrapped: fault.CodeOf reports the cause's code)
	CodeUnsafeDir  = codes.CacheUnsafeDir  // the directory belongs to another user or others may write to it
)

// Error is the bridge's one coded error (package fault: a fill's cause keeps its code).
type Error = fault.Error

// Stats describes the cache for the doctor and the add-on's preferences.
type Stats struct {
	Entries  int
	Bytes    int64 // extracted packages (downloads in progress are not counted)
	MaxBytes int64
	Dir      string
}

type item struct {
	size int64 // -1 until measured (entries found at Open are measured on first need)
	used time.Time
}

// Cache is safe for concurrent use by one process.
type Cache struct {
	dir string

	mu       sync.Mutex
	max      int64
	items    map[string]*item
	pins     map[string]int
	inflight map[string]chan struct{}
}

var reSHA = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Open creates dir if needed, removes temp dirs left by a killed process, and indexes the
// entries (eviction to maxBytes happens at the next Install or SetMax, not here, so that start
// stays fast). maxBytes <= 0 means no size cap. Several bridges may share a directory.
func Open(dir string, maxBytes int64) (*Cache, error) {
	c := &Cache{dir: dir, max: maxBytes, items: map[string]*item{}, pins: map[string]int{}, inflight: map[string]chan struct{}{}}
	if err := CheckDir(dir); err != nil {
		return nil, err
	}
	for _, d := range []string{c.pkgDir(), c.tmpDir(), c.downloadsDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, &Error{Code: CodeIO, Msg: "cannot create the cache directory", Err: err}
		}
	}
	tmps, err := os.ReadDir(c.tmpDir())
	if err != nil {
		return nil, &Error{Code: CodeIO, Msg: "cannot read the cache", Err: err}
	}
	for _, t := range tmps {
		if stale(t) {
			_ = os.RemoveAll(filepath.Join(c.tmpDir(), t.Name()))
		}
	}
	ents, err := os.ReadDir(c.pkgDir())
	if err != nil {
		return nil, &Error{Code: CodeIO, Msg: "cannot read the cache", Err: err}
	}
	for _, e := range ents {
		if !e.IsDir() || !reSHA.MatchString(e.Name()) {
			continue // not ours; never deleted behind the user's back
		}
		p := filepath.Join(c.pkgDir(), e.Name())
		info, err := os.Stat(p)
		if err != nil {
			continue
		}
		// Sizes are measured when first needed (Stats, eviction): Open stays one ReadDir + a
		// Stat per entry, which keeps the bridge's start fast with a full cache.
		c.items[e.Name()] = &item{size: -1, used: info.ModTime()}
	}
	return c, nil
}

// CheckDir makes sure dir is this user's private directory: it is created 0700 when missing;
// an existing one must be a directory owned by this user that neither group nor others may
// write to (another local user could otherwise plant packages, logs or credentials in it), and
// read access for others is taken away. A relative path is refused too: it would depend on
// whatever directory Blender was started from. On Windows the per-user location's ACL decides.
func CheckDir(dir string) error {
	if !filepath.IsAbs(dir) {
		return &Error{Code: CodeUnsafeDir, Msg: fmt.Sprintf("the cache directory %q is not an absolute path", dir)}
	}
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return &Error{Code: CodeIO, Msg: "cannot create the cache directory", Err: err}
		}
		info, err = os.Stat(dir)
	}
	if err != nil {
		return &Error{Code: CodeIO, Msg: "cannot read the cache directory", Err: err}
	}
	if !info.IsDir() {
		return &Error{Code: CodeUnsafeDir, Msg: fmt.Sprintf("%s is not a directory", dir)}
	}
	if !checkPerms {
		return nil
	}
	if !ownedByUs(info) {
		return &Error{Code: CodeUnsafeDir, Msg: fmt.Sprintf("%s belongs to another user; choose a cache directory of your own", dir)}
	}
	if info.Mode().Perm()&0o022 != 0 {
		return &Error{Code: CodeUnsafeDir, Msg: fmt.Sprintf("other users may write to %s (mode %o); its contents cannot be trusted: remove it or make it private (chmod 700)", dir, info.Mode().Perm())}
	}
	if info.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return &Error{Code: CodeIO, Msg: "cannot make the cache directory private", Err: err}
		}
	}
	return nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) pkgDir() string       { return filepath.Join(c.dir, "pkg") }
func (c *Cache) tmpDir() string       { return filepath.Join(c.dir, "tmp") }
func (c *Cache) downloadsDir() string { return filepath.Join(c.dir, "downloads") }
func (c *Cache) entry(sha string) string {
	return filepath.Join(c.pkgDir(), sha)
}

// Lookup returns the directory of a complete entry and marks it used.
func (c *Cache) Lookup(sha string) (string, bool) {
	if !reSHA.MatchString(sha) {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.presentLocked(sha)
	if !ok {
		return "", false
	}
	c.touchLocked(sha, it)
	return c.entry(sha), true
}

// Peek returns the directory of a complete entry and when it was last used, without marking it
// used (listing the local library must not reorder the LRU).
func (c *Cache) Peek(sha string) (dir string, used time.Time, ok bool) {
	if !reSHA.MatchString(sha) {
		return "", time.Time{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.presentLocked(sha)
	if !ok {
		return "", time.Time{}, false
	}
	return c.entry(sha), it.used, true
}

// presentLocked reports whether the entry is on disk, learning about entries another bridge
// sharing the directory installed and forgetting ones removed behind our back.
func (c *Cache) presentLocked(sha string) (*item, bool) {
	info, err := os.Stat(c.entry(sha))
	if err != nil || !info.IsDir() {
		delete(c.items, sha)
		return nil, false
	}
	it, ok := c.items[sha]
	if !ok {
		it = &item{size: -1, used: info.ModTime()}
		c.items[sha] = it
	}
	return it, true
}

func (c *Cache) touchLocked(sha string, it *item) {
	now := time.Now()
	if !now.After(it.used) {
		now = it.used.Add(time.Nanosecond) // strictly increasing, even with a coarse clock
	}
	it.used = now
	_ = os.Chtimes(c.entry(sha), now, now)
}

// Install returns the entry for sha, calling fill(tmpDir) to create it when it is missing.
// fill runs in an empty temp dir inside the cache; its files are fsynced and the directory is
// renamed into place atomically, so a crash at any point leaves either no entry or a complete
// one. Concurrent calls for the same sha fill once and share the result. A failed fill leaves
// nothing behind. Afterwards, least-recently-used entries above the size cap are evicted
// (never the new one, never a pinned one).
func (c *Cache) Install(sha string, fill func(tmpDir string) error) (string, error) {
	if !reSHA.MatchString(sha) {
		return "", &Error{Code: CodeInvalidKey, Msg: "cache keys are lowercase hex SHA-256"}
	}
	for {
		c.mu.Lock()
		if it, ok := c.presentLocked(sha); ok {
			c.touchLocked(sha, it)
			c.mu.Unlock()
			return c.entry(sha), nil
		}
		if ch, busy := c.inflight[sha]; busy {
			c.mu.Unlock()
			<-ch
			continue // the other fill finished: use its entry, or try ourselves if it failed
		}
		ch := make(chan struct{})
		c.inflight[sha] = ch
		c.mu.Unlock()

		p, err := c.install(sha, fill)

		c.mu.Lock()
		delete(c.inflight, sha)
		close(ch)
		c.mu.Unlock()
		return p, err
	}
}

func (c *Cache) install(sha string, fill func(string) error) (string, error) {
	tmp, err := c.newTemp()
	if err != nil {
		return "", err
	}
	committed := false
	defer func() {
		if !committed {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := fill(tmp); err != nil {
		return "", &Error{Code: CodeFill, Msg: "could not fill the cache entry", Err: err}
	}
	size, err := syncTree(tmp)
	if err != nil {
		return "", &Error{Code: CodeIO, Msg: "cannot sync the new entry", Err: err}
	}
	dst := c.entry(sha)
	if err := os.Rename(tmp, dst); err != nil {
		if _, statErr := os.Stat(dst); statErr == nil {
			// Another process installed it first: content addressing makes theirs as good as ours.
			c.mu.Lock()
			c.items[sha] = &item{size: -1}
			c.touchLocked(sha, c.items[sha])
			c.mu.Unlock()
			return dst, nil
		}
		return "", &Error{Code: CodeIO, Msg: "cannot move the new entry into place", Err: err}
	}
	committed = true
	if err := syncDir(c.pkgDir()); err != nil {
		return "", &Error{Code: CodeIO, Msg: "cannot sync the cache directory", Err: err}
	}
	c.mu.Lock()
	it := &item{size: size}
	c.items[sha] = it
	c.touchLocked(sha, it)
	c.evictLocked(sha)
	c.mu.Unlock()
	return dst, nil
}

// Temp dirs are named tmp-<pid>-<random>: another bridge (one per Blender window) may share
// the cache, and Open must only remove what a dead process left.
func (c *Cache) newTemp() (string, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	p := filepath.Join(c.tmpDir(), "tmp-"+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(b[:]))
	if err := os.Mkdir(p, 0o700); err != nil {
		return "", &Error{Code: CodeIO, Msg: "cannot create a temp dir in the cache", Err: err}
	}
	return p, nil
}

// staleAge is when a temp dir is removed even though its PID is alive (the PID was reused).
const staleAge = 24 * time.Hour

// stale reports whether a tmp/ entry is a leftover: an entry being deleted (tmp-del-*), one
// whose owner process is gone, or one older than staleAge.
func stale(d fs.DirEntry) bool {
	name := d.Name()
	if !strings.HasPrefix(name, "tmp-") {
		return false
	}
	if strings.HasPrefix(name, "tmp-del-") {
		return true
	}
	pidStr, _, ok := strings.Cut(strings.TrimPrefix(name, "tmp-"), "-")
	pid, err := strconv.Atoi(pidStr)
	if !ok || err != nil || pid <= 0 {
		return true
	}
	if info, err := d.Info(); err == nil && time.Since(info.ModTime()) > staleAge {
		return true
	}
	return !processAlive(pid)
}

// evictLocked removes least-recently-used, unpinned entries (except keep) until the cache fits.
func (c *Cache) evictLocked(keep string) {
	if c.max <= 0 {
		return
	}
	total := c.totalLocked()
	if total <= c.max {
		return
	}
	shas := make([]string, 0, len(c.items))
	for sha := range c.items {
		shas = append(shas, sha)
	}
	slices.SortFunc(shas, func(a, b string) int { return c.items[a].used.Compare(c.items[b].used) })
	for _, sha := range shas {
		if total <= c.max {
			return
		}
		if sha == keep || c.pins[sha] > 0 {
			continue
		}
		if c.removeLocked(sha) == nil {
			total -= c.items[sha].size
			delete(c.items, sha)
		}
	}
}

// totalLocked returns the size of all entries, measuring those not measured yet.
func (c *Cache) totalLocked() int64 {
	var total int64
	for sha, it := range c.items {
		if it.size < 0 {
			it.size = treeSize(c.entry(sha))
		}
		total += it.size
	}
	return total
}

// removeLocked moves the entry out of pkg/ first, so a crash mid-delete never leaves a partial
// entry where Lookup would find it.
func (c *Cache) removeLocked(sha string) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	trash := filepath.Join(c.tmpDir(), "tmp-del-"+hex.EncodeToString(b[:]))
	if err := os.Rename(c.entry(sha), trash); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return os.RemoveAll(trash)
}

// Discard removes the entry for sha at once, pinned or not: an entry that no longer matches its
// signed file list must not be handed out again (the next Install fills it anew).
func (c *Cache) Discard(sha string) error {
	if !reSHA.MatchString(sha) {
		return &Error{Code: CodeInvalidKey, Msg: "cache keys are lowercase hex SHA-256"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.removeLocked(sha); err != nil {
		return &Error{Code: CodeIO, Msg: "cannot remove the entry", Err: err}
	}
	delete(c.items, sha)
	return nil
}

// PartPath is where the download of the zip with this sha is kept while in progress; it
// survives restarts so downloads resume. It is "" for a key that is not a hex SHA-256.
func (c *Cache) PartPath(sha string) string {
	if !reSHA.MatchString(sha) {
		return ""
	}
	return filepath.Join(c.downloadsDir(), sha+".zip.part")
}

// Pin keeps sha from being evicted (or cleared) until unpin is called; unpin is idempotent.
func (c *Cache) Pin(sha string) (unpin func()) {
	if !reSHA.MatchString(sha) {
		return func() {}
	}
	c.mu.Lock()
	c.pins[sha]++
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			if c.pins[sha]--; c.pins[sha] <= 0 {
				delete(c.pins, sha)
			}
			c.evictLocked("")
			c.mu.Unlock()
		})
	}
}

// Stats reports the entries and their size.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Stats{Entries: len(c.items), MaxBytes: c.max, Dir: c.dir}
	s.Bytes = c.totalLocked()
	return s
}

// SetMax changes the size cap and evicts down to it.
func (c *Cache) SetMax(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.max = n
	c.evictLocked("")
}

// Clear removes every unpinned entry and the download parts of unpinned packages (not the
// downloads' lock files).
func (c *Cache) Clear() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for sha := range c.items {
		if c.pins[sha] > 0 {
			continue
		}
		if err := c.removeLocked(sha); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(c.items, sha)
	}
	parts, err := os.ReadDir(c.downloadsDir())
	if err != nil {
		errs = append(errs, err)
	}
	for _, p := range parts {
		sha, _, _ := strings.Cut(p.Name(), ".")
		if c.pins[sha] > 0 || c.inflight[sha] != nil || strings.HasSuffix(p.Name(), ".lock") {
			continue // a lock file may be held by another bridge; deleting it would break the lock
		}
		if err := os.Remove(filepath.Join(c.downloadsDir(), p.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &Error{Code: CodeIO, Msg: "could not clear everything", Err: err}
	}
	return nil
}

// syncTree fsyncs every file and directory under root (directories after their contents) and
// returns the total size of the regular files.
func syncTree(root string) (int64, error) {
	var size int64
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			dirs = append(dirs, p)
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file", p)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		size += st.Size()
		return f.Sync()
	})
	if err != nil {
		return 0, err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := syncDir(dirs[i]); err != nil {
			return 0, err
		}
	}
	return size, nil
}

func syncDir(p string) error {
	d, err := os.Open(p)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func treeSize(root string) int64 {
	var n int64
	_ = filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
