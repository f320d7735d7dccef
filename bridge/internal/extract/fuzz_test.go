package extract

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzExtract feeds arbitrary bytes as an archive: whatever happens, nothing may be written
// outside the target directory, and nothing but regular files and directories may appear in it.
func FuzzExtract(f *testing.F) {
	good, _, _ := goodPackage(f)
	f.Add(good)
	f.Add(buildZip([]zent{{Name: "a/", Mode: 0}, {Name: "a/b.png", Data: []byte("hello"), Deflate: true}}))
	f.Add(buildZip([]zent{{Name: "../evil", Data: []byte("x")}}))
	f.Add(buildZip([]zent{{Name: "link", Data: []byte("../../etc"), Mode: 0o120777}, {Name: "link/x", Data: []byte("x")}}))
	f.Add(buildZip([]zent{{Name: "a", Data: []byte("x")}, {Name: "A/b", Data: []byte("y")}}))
	f.Add(buildZip([]zent{{Name: "z.exr", Deflate: true, Raw: zeroStream(4 << 20), USize: u64(100)}}))
	f.Add(buildZip([]zent{{Name: "d", Data: []byte("hi"), Flags: 0x8}}))
	lim := Limits{MaxEntries: 64, MaxTotal: 8 << 20, MaxFile: 4 << 20, MaxRatio: 200}
	f.Fuzz(func(t *testing.T, zb []byte) {
		tmp := t.TempDir()
		zp := filepath.Join(tmp, "pkg.zip")
		if err := os.WriteFile(zp, zb, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "canary"), []byte("canary"), 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(tmp, "out")
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		err := extract(context.Background(), zp, out, lim, nil, false)
		if err != nil && CodeOf(err) == "" {
			t.Fatalf("error without a code: %v", err)
		}
		assertContained(t, tmp)
	})
}
