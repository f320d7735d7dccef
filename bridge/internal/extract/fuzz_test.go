package extract

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"testing/fstest"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// smallPackage is a valid package of a few hundred bytes.
func smallPackage(t testing.TB) []byte {
	fsys := fstest.MapFS{
		"material.blend":         {Data: []byte("BLENDER-v304")},
		"preview.webp":           {Data: []byte("RIFF\x00\x00\x00\x00WEBP")},
		"textures/1k/albedo.png": {Data: bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 8)},
	}
	var buf bytes.Buffer
	if _, err := shaderpkg.WritePackage(&buf, shaderpkg.Manifest{ShaderID: "s", Version: "1.0.0", Name: "S", MaterialName: "OB_S",
		Category: "metal", MinBlender: "3.4", MinOctane: "2024.1"}, fsys); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzExtract feeds arbitrary bytes as an archive: whatever happens, nothing may be written
// outside the target directory, and nothing but regular files and directories may appear in it.
// Run it with a short minimisation time, since every execution touches the file system:
//
//	go test -run '^$' -fuzz FuzzExtract -fuzzminimizetime 3s ./bridge/internal/extract
func FuzzExtract(f *testing.F) {
	// Small seeds: the fuzzer mutates and minimises them thousands of times.
	f.Add(smallPackage(f))
	f.Add(buildZip([]zent{{Name: "a/", Mode: 0}, {Name: "a/b.png", Data: []byte("hello"), Deflate: true}}))
	f.Add(buildZip([]zent{{Name: "../evil", Data: []byte("x")}}))
	f.Add(buildZip([]zent{{Name: "link", Data: []byte("../../etc"), Mode: 0o120777}, {Name: "link/x", Data: []byte("x")}}))
	f.Add(buildZip([]zent{{Name: "a", Data: []byte("x")}, {Name: "A/b", Data: []byte("y")}}))
	f.Add(buildZip([]zent{{Name: "z.exr", Deflate: true, Raw: zeroStream(2 << 20), USize: u64(100)}}))
	f.Add(buildZip([]zent{{Name: "d", Data: []byte("hi"), Flags: 0x8}}))
	// Small limits keep every execution cheap (the fuzzer minimises inputs by re-running them).
	lim := Limits{MaxEntries: 32, MaxTotal: 1 << 20, MaxFile: 256 << 10, MaxRatio: 200}
	f.Fuzz(func(t *testing.T, zb []byte) {
		tmp, zp, out := workspace(t, zb)
		done := make(chan error, 1)
		go func() { done <- extract(context.Background(), zp, out, lim, nil, false) }()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("extraction still running after 10 s:\n%s", buf[:runtime.Stack(buf, true)])
		}
		if err != nil && fault.CodeOf(err) == "" {
			t.Fatalf("error without a code: %v", err)
		}
		assertContained(t, tmp)
	})
}
