package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The site's copy for a stack leaves out what siteCopySkip names (node_modules, builds) at any
// depth, keeps links as links, and walkFiles and newerThan see the same files the copy takes.
func TestCopyTreeAndWalkFilesSkipTheSameNames(t *testing.T) {
	src := t.TempDir()
	for p, body := range map[string]string{"app/page.tsx": "page", "lib/x.ts": "x", "node_modules/a/index.js": "no", "lib/.next/cache": "no"} {
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, p), []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("lib/x.ts", filepath.Join(src, "link.ts")); err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{"node_modules": true, ".next": true}
	var walked []string
	if err := walkFiles(src, skip, func(p string, _ fs.FileInfo) error {
		rel, _ := filepath.Rel(src, p)
		walked = append(walked, rel)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(walked, []string{"app/page.tsx", "lib/x.ts"}) {
		t.Fatalf("walkFiles saw %v", walked)
	}
	dst := filepath.Join(t.TempDir(), "copy")
	if err := copyTree(src, dst, skip); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "app/page.tsx")); err != nil || string(b) != "page" {
		t.Fatalf("copied page: %q %v", b, err)
	}
	if st, err := os.Stat(filepath.Join(dst, "lib/x.ts")); err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("copied mode: %v %v", st, err)
	}
	if l, err := os.Readlink(filepath.Join(dst, "link.ts")); err != nil || l != "lib/x.ts" {
		t.Fatalf("link: %q %v", l, err)
	}
	for _, p := range []string{"node_modules", "lib/.next"} {
		if _, err := os.Lstat(filepath.Join(dst, p)); !os.IsNotExist(err) {
			t.Errorf("%s was copied", p)
		}
	}
	future := time.Now().Add(time.Hour)
	if newerThan(src, skip, future) {
		t.Error("a file newer than the future")
	}
	if err := os.Chtimes(filepath.Join(src, "node_modules/a/index.js"), future, future); err != nil {
		t.Fatal(err)
	}
	if newerThan(src, skip, time.Now()) {
		t.Error("a skipped file counted as newer")
	}
	if err := os.Chtimes(filepath.Join(src, "lib/x.ts"), future, future); err != nil || !newerThan(src, skip, time.Now()) {
		t.Errorf("a changed source file not seen as newer (%v)", err)
	}
}
