package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"math/rand/v2"
	"testing"
	"testing/fstest"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// zent is one entry of a hand-built zip. Every field a hostile archive could lie about can be
// set; zero values give an honest entry.
type zent struct {
	Name    string
	Data    []byte // uncompressed content
	Deflate bool
	Raw     []byte  // compressed bytes to write instead of compressing Data
	USize   *uint64 // declared uncompressed size (default len(Data))
	CSize   *uint64 // declared compressed size (default len of what is written)
	CRC     *uint32
	Flags   uint16
	Method  *uint16
	Mode    uint32 // Unix st_mode in the external attributes (default regular 0644, or dir 0755 for "x/")
	Desc    []byte // data descriptor when Flags&8 (default: an honest one)
	SameAs  int    // k+1: the central entry points at entry k's local header (overlap bomb)
}

func u64(v uint64) *uint64 { return &v }
func u32(v uint32) *uint32 { return &v }
func u16(v uint16) *uint16 { return &v }

// buildZip writes entries as a zip with a plain (non-zip64) central directory.
func buildZip(ents []zent) []byte {
	var out bytes.Buffer
	le := func(v any) { binary.Write(&out, binary.LittleEndian, v) }
	offsets := make([]uint32, len(ents))
	type meta struct {
		crc          uint32
		csize, usize uint32
		method       uint16
	}
	metas := make([]meta, len(ents))
	for i, e := range ents {
		comp := e.Raw
		method := uint16(zip.Store)
		if e.Deflate {
			method = zip.Deflate
			if comp == nil {
				var b bytes.Buffer
				w, _ := flate.NewWriter(&b, flate.BestSpeed)
				w.Write(e.Data)
				w.Close()
				comp = b.Bytes()
			}
		} else if comp == nil {
			comp = e.Data
		}
		if e.Method != nil {
			method = *e.Method
		}
		m := meta{crc: crc32.ChecksumIEEE(e.Data), csize: uint32(len(comp)), usize: uint32(len(e.Data)), method: method}
		if e.CRC != nil {
			m.crc = *e.CRC
		}
		if e.USize != nil {
			m.usize = uint32(*e.USize)
		}
		if e.CSize != nil {
			m.csize = uint32(*e.CSize)
		}
		metas[i] = m
		offsets[i] = uint32(out.Len())
		le(uint32(0x04034b50))
		le(uint16(20))
		le(e.Flags)
		le(method)
		le(uint16(0))
		le(uint16(0x21))
		if e.Flags&0x8 != 0 {
			le([3]uint32{})
		} else {
			le([3]uint32{m.crc, m.csize, m.usize})
		}
		le(uint16(len(e.Name)))
		le(uint16(0))
		out.WriteString(e.Name)
		out.Write(comp)
		if e.Flags&0x8 != 0 {
			if e.Desc != nil {
				out.Write(e.Desc)
			} else {
				le([4]uint32{0x08074b50, m.crc, m.csize, m.usize})
			}
		}
	}
	cdStart := out.Len()
	for i, e := range ents {
		m := metas[i]
		off := offsets[i]
		if e.SameAs > 0 {
			off = offsets[e.SameAs-1]
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o100644
			if len(e.Name) > 0 && e.Name[len(e.Name)-1] == '/' {
				mode = 0o040755
			}
		}
		le(uint32(0x02014b50))
		le(uint16(3<<8 | 20)) // made by Unix
		le(uint16(20))
		le(e.Flags)
		le(m.method)
		le(uint16(0))
		le(uint16(0x21))
		le([3]uint32{m.crc, m.csize, m.usize})
		le(uint16(len(e.Name)))
		le([4]uint16{}) // extra, comment, disk, internal attrs
		le(mode << 16)
		le(off)
		out.WriteString(e.Name)
	}
	cdSize := out.Len() - cdStart
	le(uint32(0x06054b50))
	le([2]uint16{})
	le([2]uint16{uint16(len(ents)), uint16(len(ents))})
	le([2]uint32{uint32(cdSize), uint32(cdStart)})
	le(uint16(0))
	return out.Bytes()
}

// zeroStream returns a deflate stream that inflates to at least total zero bytes, built in
// milliseconds by repeating one byte-aligned block sequence (deflating a gigabyte would take seconds).
func zeroStream(total int64) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	chunk := make([]byte, 1<<20)
	w.Write(chunk)
	w.Flush()
	first := buf.Len()
	w.Write(chunk)
	w.Flush()
	rep := bytes.Clone(buf.Bytes()[first:])
	out := bytes.Clone(buf.Bytes())
	for n := int64(2 << 20); n < total; n += 1 << 20 {
		out = append(out, rep...)
	}
	return append(out, 1, 0, 0, 0xff, 0xff) // final empty stored block
}

func noise(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// goodPackage builds a valid shader package with shaderpkg.WritePackage and returns the zip,
// the manifest's file list and the contents.
func goodPackage(t testing.TB) ([]byte, []shaderpkg.File, map[string][]byte) {
	t.Helper()
	files := map[string][]byte{
		"material.blend":             bytes.Repeat([]byte("BLENDER-v304 node graph "), 4000),
		"preview.webp":               noise(20_000, 1),
		"textures/2k/albedo.png":     noise(300_000, 2),
		"textures/2k/roughness.png":  noise(120_000, 3),
		"textures/1k/normal.exr":     append(noise(50_000, 4), make([]byte, 50_000)...),
		"textures/1k/empty-mask.png": {},
	}
	zb, list := writePackage(t, files)
	return zb, list, files
}

// writePackage builds a package of files (a test shader's manifest) and returns the zip and the
// file list its manifest signs.
func writePackage(t testing.TB, files map[string][]byte) ([]byte, []shaderpkg.File) {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, b := range files {
		fsys[p] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	var buf bytes.Buffer
	m, err := shaderpkg.WritePackage(&buf, shaderpkg.Manifest{ShaderID: "brushed-steel", Version: "1.0.0", Name: "Brushed Steel",
		MaterialName: "OB_BrushedSteel", Category: "metal", Tags: []string{"metal"}, MinBlender: "3.4", MinOctane: "2024.1"}, fsys)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), m.Files
}
