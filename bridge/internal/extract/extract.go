// Package extract unpacks a downloaded shader package into a directory, treating the zip as
// hostile: every name is checked before anything is written, files are created through
// os.Root (no path or symlink can lead outside the directory), links and special files are
// refused, and sizes are bounded by the bytes actually inflated, not by what the headers claim.
package extract

import (
	"archive/zip"
	"bytes"
	"cmp"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// Stable error codes.
const (
	CodeInvalid    = codes.ArchiveInvalid    // not a readable zip, encrypted, unknown method, bad CRC, overlapping data
	CodeUnsafePath = codes.ArchiveUnsafePath // an entry name that is not a plain relative path
	CodeLink       = codes.ArchiveLink       // a symlink or another non-regular file
	CodeTooLarge   = codes.ArchiveTooLarge   // an entry or the total above the limits
	CodeTooMany    = codes.ArchiveTooMany    // more entries than allowed
	CodeRatio      = codes.ArchiveRatio      // a compression bomb: too high a ratio, or inflating beyond the declared size
	CodeDuplicate  = codes.ArchiveDuplicate  // the same name twice, also case-insensitively or as file and directory
	CodeMismatch   = codes.ArchiveMismatch   // entries differ from the signed file list (missing, extra, size, sha256)
	CodeIO         = codes.ExtractIO         // the local file system failed (disk full, permissions): not the archive's fault
)

// Error is the bridge's one coded error (package fault); Entry is the offending name, made printable.
type Error = fault.Error

func fail(code codes.Code, entry, format string, args ...any) *Error {
	return &Error{Code: code, Entry: printable(entry), Msg: fmt.Sprintf(format, args...)}
}

// Limits bound what one archive may make the bridge do. A zero field takes its DefaultLimits value.
type Limits struct {
	MaxEntries int   // zip entries, directories included
	MaxTotal   int64 // all entries together, uncompressed
	MaxFile    int64 // one entry, uncompressed
	MaxRatio   int64 // uncompressed / compressed, per entry; the first ratioFloor bytes are exempt
}

// DefaultLimits are the shader package format's own limits.
func DefaultLimits() Limits {
	return Limits{MaxEntries: shaderpkg.MaxFiles + 64, MaxTotal: shaderpkg.MaxTotalSize, MaxFile: shaderpkg.MaxFileSize, MaxRatio: 200}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxTotal <= 0 {
		l.MaxTotal = d.MaxTotal
	}
	if l.MaxFile <= 0 {
		l.MaxFile = d.MaxFile
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	return l
}

// ratioFloor exempts small entries (a tiny, highly compressible text file is no bomb).
const ratioFloor = 1 << 20

const bufSize = 1 << 20

type entry struct {
	f    *zip.File
	name string // without the trailing slash of a directory
	dir  bool
	off  int64 // start of the compressed data
	want *shaderpkg.File
}

// Extract unpacks the zip at zipPath into dir, which must exist and be empty. Nothing is
// written until every entry's metadata has passed the checks. When expect is non-nil the
// entries must be exactly manifest.json plus expect's paths (and directories holding them),
// each with the listed size and sha256, and manifest.json must list the same files. Files are
// fsynced; making the directory durable and visible is the caller's job (see cache.Install).
func Extract(ctx context.Context, zipPath, dir string, lim Limits, expect []shaderpkg.File) error {
	return unpack(ctx, zipPath, dir, lim, expect, layout{durable: true})
}

// ExtractSet is Extract for a texture set of a v2 package (docs/packages.md): its entries are
// exactly the signed files, flat at the zip root, with no manifest.json.
func ExtractSet(ctx context.Context, zipPath, dir string, lim Limits, expect []shaderpkg.File) error {
	return unpack(ctx, zipPath, dir, lim, expect, layout{durable: true, set: true})
}

// extract is Extract; durable=false skips the fsyncs for the fuzz target, which would otherwise
// spend its time (and the machine's disk) waiting on them.
func extract(ctx context.Context, zipPath, dir string, lim Limits, expect []shaderpkg.File, durable bool) error {
	return unpack(ctx, zipPath, dir, lim, expect, layout{durable: durable})
}

// layout says what an archive holds: a package (manifest.json beside the signed files) or a
// texture set (only the signed files); durable fsyncs what is written.
type layout struct{ durable, set bool }

func unpack(ctx context.Context, zipPath, dir string, lim Limits, expect []shaderpkg.File, lay layout) error {
	zf, err := os.Open(zipPath)
	if err != nil {
		return &Error{Code: CodeIO, Msg: "cannot open the archive", Err: err}
	}
	defer zf.Close()
	st, err := zf.Stat()
	if err != nil {
		return &Error{Code: CodeIO, Msg: "cannot stat the archive", Err: err}
	}
	lim = lim.withDefaults()
	// zip.NewReader allocates for every central-directory record: count them first.
	if n, ok := declaredEntries(zf, st.Size()); ok && n > uint64(lim.MaxEntries) {
		return fail(CodeTooMany, "", "%d entries, the limit is %d", n, lim.MaxEntries)
	}
	zr, err := zip.NewReader(zf, st.Size())
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		// ErrInsecurePath (GODEBUG=zipinsecurepath=0) still returns the reader; our own checks name the entry.
		return &Error{Code: CodeInvalid, Msg: "not a readable zip archive", Err: err}
	}
	entries, err := plan(zr, st.Size(), lim, expect, lay.set)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("extract: open target: %w", err)
	}
	defer root.Close()
	if err := mustBeEmpty(root); err != nil {
		return err
	}
	// Directories first, so that the file writers never race to create one.
	var files []entry
	for _, e := range entries {
		d := e.name
		if !e.dir {
			files = append(files, e)
			d = path.Dir(e.name)
		}
		if d == "." {
			continue
		}
		if err := root.MkdirAll(d, 0o755); err != nil {
			return &Error{Code: CodeIO, Entry: e.name, Msg: "cannot create directory", Err: err}
		}
	}
	if err := writeFiles(ctx, root, zf, lim, files, lay.durable); err != nil {
		return err
	}
	if expect != nil && !lay.set {
		return checkManifest(root, expect)
	}
	return nil
}

// plan checks every entry's name and metadata and returns them in data order. A texture set
// (set) has no manifest.json: every entry must be a signed file.
func plan(zr *zip.Reader, size int64, lim Limits, expect []shaderpkg.File, set bool) ([]entry, error) {
	if len(zr.File) > lim.MaxEntries {
		return nil, fail(CodeTooMany, "", "%d entries, the limit is %d", len(zr.File), lim.MaxEntries)
	}
	var wanted map[string]*shaderpkg.File
	var wantedDirs map[string]bool
	if expect != nil {
		wanted = make(map[string]*shaderpkg.File, len(expect))
		wantedDirs = map[string]bool{}
		for i := range expect {
			wanted[expect[i].Path] = &expect[i]
			for d := path.Dir(expect[i].Path); d != "."; d = path.Dir(d) {
				wantedDirs[d] = true
			}
		}
	}
	// The declared total first: the cheapest refusal of an archive that claims too much.
	var total uint64
	for _, f := range zr.File {
		total += min(f.UncompressedSize64, 1<<62)
		if total > uint64(lim.MaxTotal) {
			return nil, fail(CodeTooLarge, "", "entries add up to more than %d bytes", lim.MaxTotal)
		}
	}
	type kind struct {
		dir  bool
		name string
	}
	seen := make(map[string]kind, len(zr.File)) // lower-cased name -> what claimed it
	parents := map[string]string{}              // lower-cased parent dir -> a file below it
	sawManifest := false
	entries := make([]entry, 0, len(zr.File))
	for _, f := range zr.File {
		e := entry{f: f, dir: strings.HasSuffix(f.Name, "/")}
		e.name = strings.TrimSuffix(f.Name, "/")
		if err := checkName(f.Name, e.name); err != nil {
			return nil, err
		}
		mode := f.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			return nil, fail(CodeLink, f.Name, "entry is a symbolic link")
		case mode&(fs.ModeType&^fs.ModeDir) != 0:
			return nil, fail(CodeLink, f.Name, "entry is a special file (%s)", mode.Type())
		case !e.dir && mode.IsDir():
			return nil, fail(CodeInvalid, f.Name, "entry is marked as a directory but named like a file")
		case e.dir && (f.UncompressedSize64 != 0 || f.CompressedSize64 > 2):
			return nil, fail(CodeInvalid, f.Name, "directory entry has content")
		}
		if f.Flags&0x1 != 0 {
			return nil, fail(CodeInvalid, f.Name, "entry is encrypted")
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, fail(CodeInvalid, f.Name, "compression method %d (only store and deflate are allowed)", f.Method)
		}
		key := strings.ToLower(e.name)
		if prev, dup := seen[key]; dup {
			if prev.name == e.name {
				return nil, fail(CodeDuplicate, f.Name, "entry appears twice")
			}
			return nil, fail(CodeDuplicate, f.Name, "entry collides with %q on case-insensitive file systems", printable(prev.name))
		}
		seen[key] = kind{dir: e.dir, name: e.name}
		if !e.dir {
			for d := path.Dir(key); d != "."; d = path.Dir(d) {
				parents[d] = e.name
			}
		}
		// Sizes as declared; the bytes actually inflated are checked again while writing.
		usize, csize := f.UncompressedSize64, f.CompressedSize64
		if usize > uint64(lim.MaxFile) {
			return nil, fail(CodeTooLarge, f.Name, "entry is %d bytes, the limit is %d", usize, lim.MaxFile)
		}
		if usize > ratioFloor && usize/max(csize, 1) >= uint64(lim.MaxRatio) {
			return nil, fail(CodeRatio, f.Name, "compression ratio above %d:1", lim.MaxRatio)
		}
		if f.Method == zip.Store && csize != usize {
			return nil, fail(CodeInvalid, f.Name, "stored entry with different compressed and uncompressed sizes")
		}
		off, err := f.DataOffset()
		if err != nil {
			return nil, &Error{Code: CodeInvalid, Entry: printable(f.Name), Msg: "unreadable local header", Err: err}
		}
		if off < 0 || csize > uint64(size) || off > size-int64(csize) {
			return nil, fail(CodeInvalid, f.Name, "entry data lies outside the archive")
		}
		e.off = off
		if expect != nil {
			switch {
			case e.dir:
				if !wantedDirs[e.name] {
					return nil, fail(CodeMismatch, f.Name, "directory is not in the signed file list")
				}
			case e.name == shaderpkg.ManifestPath && !set:
				sawManifest = true
				if usize > shaderpkg.MaxManifestBytes {
					return nil, fail(CodeTooLarge, f.Name, "manifest.json is larger than %d bytes", shaderpkg.MaxManifestBytes)
				}
			default:
				w := wanted[e.name]
				if w == nil {
					return nil, fail(CodeMismatch, f.Name, "entry is not in the signed file list")
				}
				if usize != uint64(w.Size) {
					return nil, fail(CodeMismatch, f.Name, "entry is %d bytes, the signed list says %d", usize, w.Size)
				}
				e.want = w
			}
		}
		entries = append(entries, e)
	}
	// A name used as a file and as a directory ("a" and "a/b") would be one or the other on disk.
	for key, k := range seen {
		if below, ok := parents[key]; ok && !k.dir {
			return nil, fail(CodeDuplicate, k.name, "entry is a file and also the directory of %q", printable(below))
		}
	}
	if expect != nil {
		if !sawManifest && !set {
			return nil, fail(CodeMismatch, shaderpkg.ManifestPath, "the package has no manifest.json")
		}
		for _, w := range expect {
			if _, ok := seen[strings.ToLower(w.Path)]; !ok {
				return nil, fail(CodeMismatch, w.Path, "listed in the signed file list but not in the archive")
			}
		}
	}
	// Entries sharing compressed bytes are the non-recursive zip bomb; a valid archive never does it.
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.off, b.off) })
	for i := 1; i < len(entries); i++ {
		prev := entries[i-1]
		if prev.off+int64(prev.f.CompressedSize64)+30 > entries[i].off {
			return nil, fail(CodeInvalid, entries[i].f.Name, "entry data overlaps %q", printable(prev.f.Name))
		}
	}
	return entries, nil
}

// declaredEntries reads the entry count from the end-of-central-directory record (or its
// zip64 twin). ok is false when there is no readable record; zip.NewReader then decides.
func declaredEntries(r io.ReaderAt, size int64) (n uint64, ok bool) {
	const eocdLen, zip64LocLen = 22, 20
	tail := min(size, eocdLen+0xffff) // the record plus the longest comment
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil {
		return 0, false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, false
	}
	n = uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xffff || i < zip64LocLen {
		return n, true
	}
	loc := buf[i-zip64LocLen : i]
	if binary.LittleEndian.Uint32(loc) != 0x07064b50 {
		return n, true
	}
	off := int64(binary.LittleEndian.Uint64(loc[8:]))
	var rec [56]byte
	if off < 0 || off > size-56 {
		return 0, false
	}
	if _, err := r.ReadAt(rec[:], off); err != nil || binary.LittleEndian.Uint32(rec[:]) != 0x06064b50 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(rec[32:]), true
}

// checkName refuses anything but a plain relative slash path of conservative characters.
func checkName(raw, name string) error {
	bad := func(why string) error { return fail(CodeUnsafePath, raw, "%s", why) }
	switch {
	case name == "":
		return bad("empty name")
	case strings.IndexByte(raw, 0) >= 0:
		return bad("name contains NUL")
	case strings.ContainsRune(raw, '\\'):
		return bad("name contains a backslash")
	case strings.HasPrefix(raw, "/"):
		return bad("absolute path")
	case len(raw) >= 2 && raw[1] == ':':
		return bad("drive letter")
	case !filepath.IsLocal(name):
		return bad("not a local path")
	}
	if err := shaderpkg.CheckEntryPath(name); err != nil {
		return bad("not a plain relative path (" + err.(*shaderpkg.Error).Msg + ")")
	}
	return nil
}

func mustBeEmpty(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return fmt.Errorf("extract: open target: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(1)
	if err != nil && err != io.EOF {
		return fmt.Errorf("extract: read target: %w", err)
	}
	if len(names) > 0 {
		return errors.New("extract: target directory is not empty")
	}
	return nil
}

// maxWorkers bounds parallel file writers: hashing and fsync overlap across files, which
// roughly halves extraction time on two cores (scripts/bench/bridge.sh).
const maxWorkers = 4

// writeFiles writes the files with up to maxWorkers goroutines (one buffer and inflater each).
// The first failure stops the others; the error of the earliest failing entry is returned.
func writeFiles(parent context.Context, root *os.Root, zf *os.File, lim Limits, files []entry, durable bool) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	workers := min(runtime.GOMAXPROCS(0), maxWorkers, len(files))
	errs := make([]error, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			x := &extractor{ctx: ctx, root: root, zf: zf, buf: make([]byte, bufSize), lim: lim, durable: durable}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) || ctx.Err() != nil {
					return
				}
				if err := x.write(files[i]); err != nil {
					errs[i] = err
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return parent.Err()
}

type extractor struct {
	ctx     context.Context
	root    *os.Root
	zf      *os.File
	buf     []byte
	lim     Limits
	durable bool
	fr      io.ReadCloser // reused inflater
}

func (x *extractor) write(e entry) error {
	out, err := x.root.OpenFile(e.name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return &Error{Code: CodeIO, Entry: e.name, Msg: "cannot create file", Err: err}
	}
	defer out.Close()
	csize, usize := int64(e.f.CompressedSize64), int64(e.f.UncompressedSize64)
	var src io.Reader = io.NewSectionReader(x.zf, e.off, csize)
	if e.f.Method == zip.Deflate {
		if x.fr == nil {
			x.fr = flate.NewReader(src)
		} else if err := x.fr.(flate.Resetter).Reset(src, nil); err != nil {
			return &Error{Code: CodeInvalid, Entry: e.name, Msg: "cannot inflate", Err: err}
		}
		src = x.fr
	}
	h := sha256.New()
	crc := crc32.NewIEEE()
	var n int64
	for {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		k, rerr := src.Read(x.buf)
		if k > 0 {
			n += int64(k)
			// Counted on the real stream: a header that lies about the size stops here.
			if n > usize {
				return fail(CodeRatio, e.name, "entry inflates beyond its declared %d bytes", usize)
			}
			if n > ratioFloor && n/max(csize, 1) >= x.lim.MaxRatio {
				return fail(CodeRatio, e.name, "compression ratio above %d:1", x.lim.MaxRatio)
			}
			if _, err := out.Write(x.buf[:k]); err != nil {
				return &Error{Code: CodeIO, Entry: e.name, Msg: "cannot write file", Err: err}
			}
			h.Write(x.buf[:k])
			crc.Write(x.buf[:k])
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return &Error{Code: CodeInvalid, Entry: e.name, Msg: "corrupt entry data", Err: rerr}
		}
	}
	if n != usize {
		return fail(CodeInvalid, e.name, "entry has %d bytes, its header says %d", n, usize)
	}
	if crc.Sum32() != e.f.CRC32 {
		return fail(CodeInvalid, e.name, "CRC-32 does not match")
	}
	if e.f.Flags&0x8 != 0 {
		if err := x.checkDescriptor(e); err != nil {
			return err
		}
	}
	if e.want != nil {
		if got := hex.EncodeToString(h.Sum(nil)); got != e.want.SHA256 {
			return fail(CodeMismatch, e.name, "sha256 does not match the signed file list")
		}
	}
	if x.durable {
		if err := out.Sync(); err != nil {
			return &Error{Code: CodeIO, Entry: e.name, Msg: "cannot sync file", Err: err}
		}
	}
	if err := out.Close(); err != nil {
		return &Error{Code: CodeIO, Entry: e.name, Msg: "cannot close file", Err: err}
	}
	return nil
}

// checkDescriptor compares the data descriptor after an entry's data with the central
// directory: readers that trust one or the other must not see different files.
func (x *extractor) checkDescriptor(e entry) error {
	var b [24]byte
	k, _ := x.zf.ReadAt(b[:], e.off+int64(e.f.CompressedSize64))
	d := b[:k]
	if len(d) >= 4 && binary.LittleEndian.Uint32(d) == 0x08074b50 {
		d = d[4:]
	}
	if len(d) < 12 {
		return fail(CodeInvalid, e.name, "data descriptor is missing")
	}
	crc := binary.LittleEndian.Uint32(d)
	c32, u32 := binary.LittleEndian.Uint32(d[4:]), binary.LittleEndian.Uint32(d[8:])
	sizesOK := uint64(c32) == e.f.CompressedSize64 && uint64(u32) == e.f.UncompressedSize64
	if !sizesOK && len(d) >= 20 { // zip64 descriptor
		sizesOK = binary.LittleEndian.Uint64(d[4:]) == e.f.CompressedSize64 && binary.LittleEndian.Uint64(d[12:]) == e.f.UncompressedSize64
	}
	if crc != e.f.CRC32 || !sizesOK {
		return fail(CodeInvalid, e.name, "data descriptor disagrees with the central directory")
	}
	return nil
}

// checkManifest makes sure the extracted manifest.json lists exactly the signed files: the
// add-on reads it from the cache and must see what was verified.
func checkManifest(root *os.Root, expect []shaderpkg.File) error {
	b, err := root.ReadFile(shaderpkg.ManifestPath)
	if err != nil {
		return &Error{Code: CodeMismatch, Entry: shaderpkg.ManifestPath, Msg: "cannot read manifest.json", Err: err}
	}
	m, err := shaderpkg.ParseManifest(b)
	if err != nil {
		return &Error{Code: CodeMismatch, Entry: shaderpkg.ManifestPath, Msg: "manifest.json is invalid", Err: err}
	}
	if len(m.Files) != len(expect) {
		return fail(CodeMismatch, shaderpkg.ManifestPath, "manifest.json lists %d files, the signed list %d", len(m.Files), len(expect))
	}
	for _, w := range expect {
		if f, ok := m.File(w.Path); !ok || f != w {
			return fail(CodeMismatch, w.Path, "manifest.json and the signed list disagree about this file")
		}
	}
	return nil
}

// printable keeps hostile names readable in messages and logs.
func printable(s string) string {
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	var b bytes.Buffer
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			b.WriteByte('?')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
