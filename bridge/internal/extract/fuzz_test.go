package extract

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// fuzzLimits are small limits that keep every fuzz execution cheap (the fuzzer minimises inputs
// by re-running them).
var fuzzLimits = Limits{MaxEntries: 32, MaxTotal: 1 << 20, MaxFile: 256 << 10, MaxRatio: 200}

// fuzzOnce extracts the archive zb against expect (nil: no signed list) under fuzzLimits and
// checks what every outcome must hold, success or not: extraction ends (a hang fails with every
// goroutine's stack), an error carries a code, and nothing lands outside the target directory.
// It returns the target directory and extract's error.
func fuzzOnce(t *testing.T, zb []byte, expect []shaderpkg.File) (string, error) {
	t.Helper()
	tmp, zp, out := workspace(t, zb)
	done := make(chan error, 1)
	go func() { done <- extract(context.Background(), zp, out, fuzzLimits, expect, false) }()
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
	return out, err
}

// FuzzExtract feeds arbitrary bytes as an archive: whatever happens, nothing may be written
// outside the target directory, and nothing but regular files and directories may appear in it.
// Run it with a short minimisation time, since every execution touches the file system:
//
//	go test -run '^$' -fuzz FuzzExtract -fuzzminimizetime 3s ./bridge/internal/extract
func FuzzExtract(f *testing.F) {
	// Small seeds: the fuzzer mutates and minimises them thousands of times.
	small, _ := signedPackage(f, map[string]string{"material.blend": "BLENDER-v304", "preview.webp": "RIFF\x00\x00\x00\x00WEBP",
		"textures/1k/albedo.png": string(bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 8))})
	f.Add(small)
	f.Add(buildZip([]zent{{Name: "a/", Mode: 0}, {Name: "a/b.png", Data: []byte("hello"), Deflate: true}}))
	f.Add(buildZip([]zent{{Name: "../evil", Data: []byte("x")}}))
	f.Add(buildZip([]zent{{Name: "link", Data: []byte("../../etc"), Mode: 0o120777}, {Name: "link/x", Data: []byte("x")}}))
	f.Add(buildZip([]zent{{Name: "a", Data: []byte("x")}, {Name: "A/b", Data: []byte("y")}}))
	f.Add(buildZip([]zent{{Name: "z.exr", Deflate: true, Raw: zeroStream(2 << 20), USize: u64(100)}}))
	f.Add(buildZip([]zent{{Name: "d", Data: []byte("hi"), Flags: 0x8}}))
	f.Fuzz(func(t *testing.T, zb []byte) {
		fuzzOnce(t, zb, nil)
	})
}
