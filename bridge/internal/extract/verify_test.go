package extract

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// A cache entry is checked against the signed file list before Blender opens it: any change by
// another local user (content, size, extra or missing files, links, the manifest) is caught.
func TestVerifyTreeCatchesEveryTampering(t *testing.T) {
	zipBytes, files, _ := goodPackage(t)
	fresh := func(t *testing.T) string {
		t.Helper()
		_, zp, out := workspace(t, zipBytes)
		if err := Extract(context.Background(), zp, out, Limits{}, files); err != nil {
			t.Fatal(err)
		}
		return out
	}
	ctx := context.Background()
	if err := VerifyTree(ctx, fresh(t), files); err != nil {
		t.Fatalf("an untouched entry: %v", err)
	}
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, dir string)
		code   codes.Code
	}{
		{"same size, other bytes", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "material.blend")
			b, _ := os.ReadFile(p)
			b[10] ^= 0xff
			must(t, os.WriteFile(p, b, 0o644))
		}, CodeMismatch},
		{"other size", func(t *testing.T, dir string) {
			f, err := os.OpenFile(filepath.Join(dir, "textures/2k/albedo.png"), os.O_APPEND|os.O_WRONLY, 0)
			must(t, err)
			f.Write([]byte("x"))
			f.Close()
		}, CodeMismatch},
		{"empty file filled", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "textures/1k/empty-mask.png"), []byte("evil"), 0o644))
		}, CodeMismatch},
		{"extra file", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "textures/2k/startup.py"), []byte("import os"), 0o644))
		}, CodeMismatch},
		{"missing file", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "preview.webp")))
		}, CodeMismatch},
		{"file replaced by a symlink to an identical copy", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "material.blend")
			b, _ := os.ReadFile(p)
			outside := filepath.Join(t.TempDir(), "copy.blend")
			must(t, os.WriteFile(outside, b, 0o644))
			must(t, os.Remove(p))
			must(t, os.Symlink(outside, p))
		}, CodeLink},
		{"directory replaced by a symlink", func(t *testing.T, dir string) {
			src := filepath.Join(dir, "textures", "1k")
			moved := filepath.Join(t.TempDir(), "1k")
			must(t, os.Rename(src, moved))
			must(t, os.Symlink(moved, src))
		}, CodeLink},
		{"manifest rewritten", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "manifest.json")
			b, _ := os.ReadFile(p)
			must(t, os.WriteFile(p, append(b, ' '), 0o644))
			must(t, os.WriteFile(p, []byte(`{"schema_version":1}`), 0o644))
		}, CodeMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fresh(t)
			tc.tamper(t, dir)
			err := VerifyTree(ctx, dir, files)
			if fault.CodeOf(err) != tc.code {
				t.Fatalf("got %v, want code %s", err, tc.code)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
