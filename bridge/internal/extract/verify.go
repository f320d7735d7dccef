package extract

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// VerifyTree checks that dir (an extracted package, e.g. a cache entry) still holds exactly what
// Extract writes for the signed list expect: manifest.json listing the same files, and each
// listed file as a regular file with the signed size and sha256; no other files, no links, no
// special files. Another local user, malware or a disk error may have changed the cache since it
// was filled, so a cache hit is checked with this before Blender opens it. Opening goes through
// os.Root: a planted symlink cannot lead the check outside dir. Mismatches are CodeMismatch or
// CodeLink; a directory that cannot be read is CodeIO.
func VerifyTree(ctx context.Context, dir string, expect []shaderpkg.File) error {
	return verify(ctx, dir, expect, false)
}

// VerifySet is VerifyTree for an extracted texture set (ExtractSet): exactly the signed files,
// no manifest.json.
func VerifySet(ctx context.Context, dir string, expect []shaderpkg.File) error {
	return verify(ctx, dir, expect, true)
}

func verify(ctx context.Context, dir string, expect []shaderpkg.File, set bool) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return &Error{Code: CodeIO, Msg: "cannot open the package directory", Err: err}
	}
	defer root.Close()
	want := make(map[string]shaderpkg.File, len(expect)+1)
	for _, f := range expect {
		want[f.Path] = f
	}
	seen := 0
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &Error{Code: CodeIO, Entry: printable(p), Msg: "cannot read the package directory", Err: err}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fail(CodeLink, p, "not a regular file")
		case p == shaderpkg.ManifestPath && !set:
			return nil // compared with the signed list below
		}
		if _, ok := want[p]; !ok {
			return fail(CodeMismatch, p, "a file the signed list does not name")
		}
		seen++
		return nil
	})
	if err != nil {
		return err
	}
	if seen != len(expect) {
		return fail(CodeMismatch, "", "%d of the %d signed files are present", seen, len(expect))
	}
	buf := make([]byte, 256<<10)
	for _, w := range expect {
		if err := verifyFile(ctx, root, w, buf); err != nil {
			return err
		}
	}
	if set {
		return nil
	}
	return checkManifest(root, expect)
}

func verifyFile(ctx context.Context, root *os.Root, w shaderpkg.File, buf []byte) error {
	f, err := root.Open(w.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fail(CodeMismatch, w.Path, "missing")
		}
		return fail(CodeLink, w.Path, "cannot be opened inside the package directory: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return &Error{Code: CodeIO, Entry: printable(w.Path), Msg: "cannot stat", Err: err}
	}
	if !st.Mode().IsRegular() {
		return fail(CodeLink, w.Path, "not a regular file")
	}
	if st.Size() != w.Size {
		return fail(CodeMismatch, w.Path, "%d bytes, the signed list says %d", st.Size(), w.Size)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, io.LimitReader(f, w.Size+1), buf)
	if err != nil {
		return &Error{Code: CodeIO, Entry: printable(w.Path), Msg: "cannot read", Err: err}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if n != w.Size || hex.EncodeToString(h.Sum(nil)) != w.SHA256 {
		return fail(CodeMismatch, w.Path, "content differs from the signed sha256")
	}
	return nil
}
