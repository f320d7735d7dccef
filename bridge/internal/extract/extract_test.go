package extract

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"archive/zip"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// run writes zipBytes into a fresh temp dir, extracts into <tmp>/out and returns the error and
// the temp dir (which must hold nothing but the zip, out/ and a canary afterwards).
func run(t *testing.T, zipBytes []byte, lim Limits, expect []shaderpkg.File) (error, string) {
	t.Helper()
	tmp, zp, out := workspace(t, zipBytes)
	err := Extract(context.Background(), zp, out, lim, expect)
	assertContained(t, tmp)
	return err, out
}

// workspace lays out tmp/pkg.zip (the archive), tmp/canary (must survive) and the empty tmp/out.
func workspace(t testing.TB, zipBytes []byte) (tmp, zp, out string) {
	t.Helper()
	tmp = t.TempDir()
	zp = filepath.Join(tmp, "pkg.zip")
	if err := os.WriteFile(zp, zipBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "canary"), []byte("canary"), 0o600); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(tmp, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	return tmp, zp, out
}

// assertContained fails when anything but pkg.zip, canary and out/... exists under tmp, or
// when a symlink or special file appears anywhere.
func assertContained(t testing.TB, tmp string) {
	t.Helper()
	filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatalf("walk: %v", err)
		}
		rel, _ := filepath.Rel(tmp, p)
		if rel == "." || rel == "pkg.zip" || rel == "out" || strings.HasPrefix(rel, "out"+string(filepath.Separator)) {
			if !d.Type().IsRegular() && !d.IsDir() {
				t.Fatalf("%s is not a regular file or directory (%v)", rel, d.Type())
			}
			return nil
		}
		if rel == "canary" {
			if b, _ := os.ReadFile(p); string(b) != "canary" {
				t.Fatal("the canary was overwritten")
			}
			return nil
		}
		t.Fatalf("extraction wrote outside its directory: %s", rel)
		return nil
	})
}

func TestExtractGoodPackage(t *testing.T) {
	zb, files, contents := goodPackage(t)
	err, out := run(t, zb, DefaultLimits(), files)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range contents {
		got, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %v (%d bytes, want %d)", p, err, len(got), len(want))
		}
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err != nil {
		t.Fatal(err)
	}
	// Without a signed list, any safe archive extracts; zero limits mean the defaults.
	if err, _ := run(t, zb, Limits{}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestExtractRefusesNonEmptyDir(t *testing.T) {
	zb, files, _ := goodPackage(t)
	tmp := t.TempDir()
	zp := filepath.Join(tmp, "p.zip")
	os.WriteFile(zp, zb, 0o600)
	os.WriteFile(filepath.Join(tmp, "old"), nil, 0o600)
	if err := Extract(context.Background(), zp, tmp, DefaultLimits(), files); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("extracted into a non-empty dir: %v", err)
	}
}

func TestExtractChecksSignedList(t *testing.T) {
	zb, files, _ := goodPackage(t)
	edit := func(f func(fs []shaderpkg.File) []shaderpkg.File) []shaderpkg.File {
		return f(slices.Clone(files))
	}
	// The same package re-zipped by hand with one texture's bytes changed (same size).
	var ents []zent
	zr := mustZipEntries(t, zb)
	for _, e := range zr {
		if e.Name == "textures/2k/albedo.png" {
			e.Data = bytes.Clone(e.Data)
			e.Data[1000] ^= 0xff
		}
		ents = append(ents, e)
	}
	tampered := buildZip(ents)
	extra := buildZip(append(slices.Clone(zr), zent{Name: "textures/2k/extra.png", Data: []byte("x")}))
	missing := buildZip(slices.DeleteFunc(slices.Clone(zr), func(e zent) bool { return e.Name == "preview.webp" }))
	noManifest := buildZip(slices.DeleteFunc(slices.Clone(zr), func(e zent) bool { return e.Name == "manifest.json" }))
	strayDir := buildZip(append(slices.Clone(zr), zent{Name: "docs/"}))
	cases := []struct {
		name   string
		zip    []byte
		expect []shaderpkg.File
	}{
		{"flipped byte", tampered, files},
		{"extra entry", extra, files},
		{"missing entry", missing, files},
		{"no manifest", noManifest, files},
		{"directory not in list", strayDir, files},
		{"size differs", zb, edit(func(f []shaderpkg.File) []shaderpkg.File { f[0].Size++; return f })},
		{"sha differs", zb, edit(func(f []shaderpkg.File) []shaderpkg.File { f[0].SHA256 = sum(nil); return f })},
		{"manifest lists other files", zb, edit(func(f []shaderpkg.File) []shaderpkg.File { return f[1:] })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err, _ := run(t, tc.zip, DefaultLimits(), tc.expect)
			if fault.CodeOf(err) != CodeMismatch {
				t.Fatalf("want %s, got %v", CodeMismatch, err)
			}
		})
	}
}

// mustZipEntries reads a zip back into zents (stored, honest) so tests can re-build variants.
func mustZipEntries(t *testing.T, zb []byte) []zent {
	t.Helper()
	zr, err := zipReader(zb)
	if err != nil {
		t.Fatal(err)
	}
	var out []zent
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out = append(out, zent{Name: f.Name, Data: b, Deflate: true})
	}
	return out
}

type hostile struct {
	name string
	zip  []byte
	lim  Limits
	code codes.Code
}

func hostileCorpus() []hostile {
	file := func(name string) []byte { return buildZip([]zent{{Name: name, Data: []byte("payload")}}) }
	def := DefaultLimits()
	var cases []hostile
	add := func(name string, zb []byte, code codes.Code) {
		cases = append(cases, hostile{name: name, zip: zb, lim: def, code: code})
	}
	for _, n := range []string{
		"../evil", "../../../../../../tmp/evil", "a/../../evil", "a/b/../../../evil", "textures/../../evil",
		"..\\evil", "a\\..\\..\\evil", "textures\\2k\\x.png", "/etc/x", "//etc/x", "C:\\x", "C:x", "C:/x", "c:", "\\\\server\\share\\x",
		"\\\\?\\C:\\x", "a\x00b", "material.blend\x00.png", "./a", "a/./b", "a/.", ".", "..", "a/..", "a//b", "",
		"CON", "con.txt", "textures/nul.png", "AUX", "COM1", "lpt9.dat", "prn", ".hidden", "a/.git/config", "-rf", "a b", "caf\u00e9",
		"x\r\n", "a/b.", strings.Repeat("a", 201),
	} {
		add("path "+strings.ToValidUTF8(n, "?"), file(n), CodeUnsafePath)
	}
	add("symlink", buildZip([]zent{{Name: "link", Data: []byte("/etc/passwd"), Mode: 0o120777}}), CodeLink)
	add("symlink dir", buildZip([]zent{{Name: "d/", Mode: 0o120777}, {Name: "d/x", Data: []byte("x")}}), CodeLink)
	add("symlink then file through it", buildZip([]zent{{Name: "textures", Data: []byte("../../"), Mode: 0o120777},
		{Name: "textures/evil", Data: []byte("x")}}), CodeLink)
	add("fifo", buildZip([]zent{{Name: "fifo", Mode: 0o010644}}), CodeLink)
	add("char device", buildZip([]zent{{Name: "tty", Mode: 0o020644}}), CodeLink)
	add("block device", buildZip([]zent{{Name: "sda", Mode: 0o060644}}), CodeLink)
	add("socket", buildZip([]zent{{Name: "sock", Mode: 0o140644}}), CodeLink)
	add("directory with content", buildZip([]zent{{Name: "textures/", Data: []byte("I am a file")}}), CodeInvalid)
	add("directory mode without slash", buildZip([]zent{{Name: "textures", Mode: 0o040755}}), CodeInvalid)
	add("duplicate", buildZip([]zent{{Name: "a.png", Data: []byte("1")}, {Name: "a.png", Data: []byte("2")}}), CodeDuplicate)
	add("case-folded duplicate", buildZip([]zent{{Name: "tex/A.png", Data: []byte("1")}, {Name: "tex/a.png", Data: []byte("2")}}), CodeDuplicate)
	add("case-folded directory", buildZip([]zent{{Name: "Tex/"}, {Name: "tex/"}}), CodeDuplicate)
	add("duplicate directory", buildZip([]zent{{Name: "tex/"}, {Name: "tex/"}}), CodeDuplicate)
	add("file then dir", buildZip([]zent{{Name: "a", Data: []byte("1")}, {Name: "a/b", Data: []byte("2")}}), CodeDuplicate)
	add("dir then file", buildZip([]zent{{Name: "a/b/c", Data: []byte("1")}, {Name: "A/b", Data: []byte("2")}}), CodeDuplicate)
	add("dir entry and file", buildZip([]zent{{Name: "a/"}, {Name: "a", Data: []byte("2")}}), CodeDuplicate)
	many := make([]zent, 10_000)
	for i := range many {
		many[i] = zent{Name: "f" + strconv.Itoa(i)}
	}
	add("10000 entries", buildZip(many), CodeTooMany)
	bomb := zeroStream(1 << 30)
	add("ratio bomb, size lies", buildZip([]zent{{Name: "bomb.exr", Deflate: true, Raw: bomb, USize: u64(4096), CRC: u32(0)}}), CodeRatio)
	add("ratio bomb, honest header", buildZip([]zent{{Name: "bomb.exr", Deflate: true, Raw: bomb, USize: u64(1 << 30), CRC: u32(0)}}), CodeRatio)
	add("bomb in a data-descriptor entry", buildZip([]zent{{Name: "bomb.exr", Deflate: true, Raw: bomb, USize: u64(10), CRC: u32(0), Flags: 0x8}}), CodeRatio)
	small := zeroStream(4 << 20)
	add("ratio over the limit", buildZip([]zent{{Name: "z.exr", Deflate: true, Raw: small, USize: u64(4 << 20)}}), CodeRatio)
	add("declared too large", buildZip([]zent{{Name: "big", Data: []byte("x"), USize: u64(1<<30 + 1), CSize: u64(1)}}), CodeTooLarge)
	add("total too large", buildZip([]zent{
		{Name: "a", Data: []byte("x"), USize: u64(1 << 30), CSize: u64(1 << 30)},
		{Name: "b", Data: []byte("x"), USize: u64(1 << 30), CSize: u64(1 << 30)},
		{Name: "c", Data: []byte("x"), USize: u64(1 << 30), CSize: u64(1 << 30)},
	}), CodeTooLarge)
	add("overlapping entries", buildZip([]zent{{Name: "a", Data: bytes.Repeat([]byte("x"), 100)}, {Name: "b", Data: bytes.Repeat([]byte("x"), 100), SameAs: 1}}), CodeInvalid)
	add("data outside the archive", buildZip([]zent{{Name: "a", Data: []byte("x"), CSize: u64(1 << 20), USize: u64(1 << 20)}}), CodeInvalid)
	add("stored size mismatch", buildZip([]zent{{Name: "a", Data: []byte("xyz"), USize: u64(2)}}), CodeInvalid)
	add("short deflate stream", buildZip([]zent{{Name: "a", Data: []byte("hello"), Deflate: true, USize: u64(9)}}), CodeInvalid)
	add("encrypted", buildZip([]zent{{Name: "a", Data: []byte("secret"), Flags: 0x1}}), CodeInvalid)
	add("bzip2 method", buildZip([]zent{{Name: "a", Data: []byte("x"), Method: u16(12)}}), CodeInvalid)
	add("bad crc", buildZip([]zent{{Name: "a", Data: []byte("hello"), CRC: u32(1)}}), CodeInvalid)
	add("descriptor crc differs", buildZip([]zent{{Name: "a", Data: []byte("hello"), Flags: 0x8,
		Desc: le32s(0x08074b50, 0xdeadbeef, 5, 5)}}), CodeInvalid)
	add("descriptor size differs", buildZip([]zent{{Name: "a", Data: []byte("hello"), Deflate: false, Flags: 0x8,
		Desc: le32s(0x08074b50, crc("hello"), 5, 50)}}), CodeInvalid)
	good := buildZip([]zent{{Name: "a", Data: bytes.Repeat([]byte("hello "), 1000), Deflate: true}, {Name: "b", Data: []byte("x")}})
	add("truncated archive", good[:len(good)/2], CodeInvalid)
	add("truncated end record", good[:len(good)-5], CodeInvalid)
	add("not a zip", []byte("this is not a zip file at all, just text"), CodeInvalid)
	add("empty file", nil, CodeInvalid)
	tight := DefaultLimits()
	tight.MaxEntries = 2
	cases = append(cases, hostile{name: "entries over a custom limit", zip: buildZip([]zent{{Name: "a"}, {Name: "b"}, {Name: "c"}}), lim: tight, code: CodeTooMany})
	return cases
}

func TestExtractRefusesHostileArchives(t *testing.T) {
	for _, h := range hostileCorpus() {
		t.Run(h.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			err, out := run(t, h.zip, h.lim, nil)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			t.Logf("%v in %v", err, took)
			if fault.CodeOf(err) != h.code {
				t.Fatalf("want %s, got %v", h.code, err)
			}
			if took > 2*time.Second {
				t.Fatalf("refusal took %v", took)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 100<<20 {
				t.Fatalf("refusal allocated %d MB", grew>>20)
			}
			// Refused before writing, or stopped at the first bad byte: never a whole bomb on disk.
			var written int64
			filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
				if info, err := d.Info(); err == nil && d.Type().IsRegular() {
					written += info.Size()
				}
				return nil
			})
			if written > 8<<20 {
				t.Fatalf("%d bytes written before the refusal", written)
			}
		})
	}
}

// The bomb stream is valid deflate that really expands ~1000:1 (checked on 64 MB; the
// gigabyte one is the same block repeated): a refusal is not an artefact of a broken stream.
func TestZeroStreamInflates(t *testing.T) {
	z := zeroStream(64 << 20)
	n, err := io.Copy(io.Discard, flate.NewReader(bytes.NewReader(z)))
	if err != nil || n < 64<<20 {
		t.Fatalf("inflated %d bytes: %v", n, err)
	}
	if big := len(zeroStream(1 << 30)); big > 2<<20 {
		t.Fatalf("the 1 GB bomb takes %d compressed bytes", big)
	}
}

// A central directory of 20,000 records is refused from its end record, before zip.NewReader
// would allocate for every record.
func TestExtractCountsEntriesBeforeReading(t *testing.T) {
	many := make([]zent, 20_000)
	for i := range many {
		many[i] = zent{Name: "f" + strconv.Itoa(i)}
	}
	zb := buildZip(many)
	tmp := t.TempDir()
	zp := filepath.Join(tmp, "many.zip")
	os.WriteFile(zp, zb, 0o600)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := Extract(context.Background(), zp, tmp, DefaultLimits(), nil)
	runtime.ReadMemStats(&after)
	if fault.CodeOf(err) != CodeTooMany {
		t.Fatalf("want %s, got %v", CodeTooMany, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("allocated %d KB to refuse", grew>>10)
	}
	if n, ok := declaredEntries(bytes.NewReader(zb), int64(len(zb))); !ok || n != 20_000 {
		t.Fatalf("declaredEntries = %d, %v", n, ok)
	}
	// zip64: the end record says 0xffff and the zip64 record (found through its locator) has the count.
	var z64 []byte
	z64 = binary.LittleEndian.AppendUint32(z64, 0x06064b50)
	z64 = binary.LittleEndian.AppendUint64(z64, 44)
	z64 = append(z64, make([]byte, 4+4+4+8)...)               // versions, disk numbers, entries on this disk
	z64 = binary.LittleEndian.AppendUint64(z64, 70_000)       // total entries
	z64 = append(z64, make([]byte, 16)...)                    // directory size and offset
	z64 = append(z64, le32s(0x07064b50, 0)...)                // locator: signature, disk
	z64 = binary.LittleEndian.AppendUint64(z64, 0)            // offset of the zip64 record
	z64 = append(z64, le32s(1, 0x06054b50, 0, 0xffffffff)...) // total disks; end record with 0xffff entries
	z64 = append(z64, make([]byte, 10)...)
	if n, ok := declaredEntries(bytes.NewReader(z64), int64(len(z64))); !ok || n != 70_000 {
		t.Fatalf("zip64 declaredEntries = %d, %v", n, ok)
	}
}

func TestExtractMissingArchiveIsIO(t *testing.T) {
	err := Extract(context.Background(), filepath.Join(t.TempDir(), "gone.zip"), t.TempDir(), DefaultLimits(), nil)
	if fault.CodeOf(err) != CodeIO || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("want %s wrapping ErrNotExist, got %v", CodeIO, err)
	}
}

func TestExtractHonoursContext(t *testing.T) {
	zb, files, _ := goodPackage(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tmp := t.TempDir()
	zp := filepath.Join(tmp, "p.zip")
	os.WriteFile(zp, zb, 0o600)
	os.Mkdir(filepath.Join(tmp, "out"), 0o755)
	if err := Extract(ctx, zp, filepath.Join(tmp, "out"), DefaultLimits(), files); err != context.Canceled {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func zipReader(zb []byte) (*zip.Reader, error) {
	return zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
}

func le32s(vs ...uint32) []byte {
	b := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

func crc(s string) uint32 { return crc32.ChecksumIEEE([]byte(s)) }

// Extraction streams: a 48 MB package costs a few buffers, not its size, in memory.
func TestExtractMemoryDoesNotGrowWithSize(t *testing.T) {
	big := bytes.Repeat(noise(64<<10, 9), 768) // 48 MB, stored
	zb := buildZip([]zent{{Name: "textures/4k/a.png", Data: big}, {Name: "b.exr", Data: bytes.Repeat([]byte("exr "), 1<<20), Deflate: true}})
	tmp := t.TempDir()
	zp := filepath.Join(tmp, "big.zip")
	os.WriteFile(zp, zb, 0o600)
	out := filepath.Join(tmp, "out")
	os.Mkdir(out, 0o755)
	big, zb = nil, nil
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := Extract(context.Background(), zp, out, DefaultLimits(), nil); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 12<<20 {
		t.Fatalf("extracting 52 MB allocated %d MB", grew>>20)
	}
	if st, err := os.Stat(filepath.Join(out, "textures", "4k", "a.png")); err != nil || st.Size() != 48<<20 {
		t.Fatalf("extracted file: %v", err)
	}
}

// Zips made by other tools carry directory entries; those holding listed files are fine.
func TestExtractAcceptsParentDirectoryEntries(t *testing.T) {
	zb, files, contents := goodPackage(t)
	ents := append([]zent{{Name: "textures/"}, {Name: "textures/2k/"}}, mustZipEntries(t, zb)...)
	err, out := run(t, buildZip(ents), DefaultLimits(), files)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "textures", "2k", "albedo.png")); err != nil || !bytes.Equal(b, contents["textures/2k/albedo.png"]) {
		t.Fatalf("albedo: %v", err)
	}
}
