package publishing

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// The operator's page uploads one zip. A v1 package is that zip; a v2 version comes as a bundle:
// one zip holding what publish pack writes for it, the base <p>.zip and its texture sets
// <p>/textures-<res>.zip (zip the shader's folder under packages/), and nothing else.
var reBundleSet = regexp.MustCompile(`^(.+)/textures-([1-9][0-9]?k)\.zip$`)

// itemFromUpload reads an upload: a package (manifest.json at the root) as it is, or a v2 bundle,
// whose base is the item's Data and whose sets are written to a temporary SetsDir that cleanup
// removes. A zip that is neither is left to Validate, which says what is wrong with it.
func itemFromUpload(name string, data []byte) (*Item, func(), error) {
	it := &Item{Src: name, Data: data}
	none := func() {}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return it, none, nil
	}
	var bases []*zip.File
	sets := map[string][]*zip.File{} // by the base path they belong to
	var bad []Problem
	invalid := func(format string, args ...any) {
		bad = append(bad, Problem{Code: codes.PackageInvalid, Text: fmt.Sprintf(format, args...)})
	}
	for _, f := range zr.File {
		switch m := reBundleSet.FindStringSubmatch(f.Name); {
		case f.Name == shaderpkg.ManifestPath:
			return it, none, nil // a package
		case f.FileInfo().IsDir() && f.UncompressedSize64 == 0:
		case m != nil:
			sets[m[1]] = append(sets[m[1]], f)
		case strings.HasSuffix(f.Name, ".zip"):
			bases = append(bases, f)
		default:
			invalid("%s: %q is neither a package nor a texture set", name, f.Name)
		}
	}
	if len(bases) == 0 && len(sets) == 0 && len(bad) == 0 {
		return it, none, nil
	}
	if len(bases) != 1 {
		invalid("%s: a bundle holds one version: one base <p>.zip and its <p>/textures-<res>.zip, found %d bases", name, len(bases))
	} else {
		prefix := strings.TrimSuffix(bases[0].Name, ".zip")
		for p, fs := range sets {
			if p != prefix {
				invalid("%s: %s is not beside the base %s", name, fs[0].Name, bases[0].Name)
			}
		}
		if len(sets[prefix]) > shaderpkg.MaxTextureSets {
			invalid("%s: %d texture sets, at most %d", name, len(sets[prefix]), shaderpkg.MaxTextureSets)
		}
	}
	if len(bad) > 0 {
		return nil, none, &Refused{Step: "validate", Code: codes.PackageInvalid, Problems: bad,
			Summary: "the upload is neither a package nor a v2 bundle (base and texture sets)"}
	}
	base := bases[0]
	it.Src = name + ": " + base.Name
	if it.Data, err = readBundleEntry(base, nil); err != nil {
		return nil, none, refusedEntry(name, base, err)
	}
	dir, err := os.MkdirTemp("", "publish-sets-")
	if err != nil {
		return nil, none, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	for _, f := range sets[strings.TrimSuffix(base.Name, ".zip")] {
		// The file name comes from the pattern (textures-<res>.zip), never from the entry's path.
		out, err := os.Create(filepath.Join(dir, "textures-"+reBundleSet.FindStringSubmatch(f.Name)[2]+".zip"))
		if err == nil {
			_, err = readBundleEntry(f, out)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			cleanup()
			return nil, none, refusedEntry(name, f, err)
		}
	}
	it.SetsDir = dir
	return it, cleanup, nil
}

// readBundleEntry copies one stored or deflated regular entry of at most MaxPackageSize bytes
// to w, or returns it when w is nil.
func readBundleEntry(f *zip.File, w io.Writer) ([]byte, error) {
	switch {
	case f.Flags&0x1 != 0:
		return nil, fmt.Errorf("encrypted")
	case f.Method != zip.Store && f.Method != zip.Deflate:
		return nil, fmt.Errorf("compression method %d", f.Method)
	case !f.Mode().IsRegular():
		return nil, fmt.Errorf("not a regular file")
	case f.UncompressedSize64 > shaderpkg.MaxPackageSize:
		return nil, fmt.Errorf("%d bytes, limit is %d", f.UncompressedSize64, int64(shaderpkg.MaxPackageSize))
	case f.UncompressedSize64 > 1<<20 && f.UncompressedSize64/max(f.CompressedSize64, 1) > 200:
		// Zips of images barely compress; this is a zip bomb.
		return nil, fmt.Errorf("compression ratio above 200:1")
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	if w == nil {
		w = &buf
	}
	// The zip reader checks the entry's CRC and size at its end.
	if _, err := io.Copy(w, io.LimitReader(rc, shaderpkg.MaxPackageSize)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func refusedEntry(name string, f *zip.File, err error) error {
	return &Refused{Step: "validate", Code: codes.PackageInvalid, Summary: "the bundle cannot be read",
		Problems: []Problem{{Code: codes.PackageInvalid, Text: fmt.Sprintf("%s: %s: %v", name, f.Name, err)}}}
}
