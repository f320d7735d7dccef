package publishing

import (
	"archive/zip"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// setFile is one texture set zip of a v2 version, verified against the manifest (readSets).
type setFile struct {
	shaderpkg.TextureSet
	path string
}

// SetKey is where the version's texture set of resolution res lives in the bucket.
func (it *Item) SetKey(res string) string {
	return shaderpkg.TextureSetKey(it.Slug(), it.Version(), res)
}

// readSets finds every texture set of a v2 version in SetsDir and verifies each whole zip
// against the manifest (size, sha256, exactly its files); it reports every problem.
func (it *Item) readSets() []error {
	it.sets = nil
	var bad []error
	for _, set := range it.Pkg.Manifest.TextureSets {
		if it.SetsDir == "" {
			bad = append(bad, &shaderpkg.Error{Code: codes.PackageMissingFile,
				Msg: fmt.Sprintf("the %s texture set was not given (a schema_version 2 package is published with its textures-<res>.zip files: publish pack output or the publish CLI)", set.Resolution)})
			continue
		}
		p := filepath.Join(it.SetsDir, path.Base(it.SetKey(set.Resolution)))
		if err := readSet(p, set); err != nil {
			bad = append(bad, fmt.Errorf("%s texture set: %w", set.Resolution, err))
			continue
		}
		it.sets = append(it.sets, setFile{set, p})
	}
	return bad
}

func readSet(p string, set shaderpkg.TextureSet) error {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return &shaderpkg.Error{Code: codes.PackageMissingFile, Msg: p + " is missing"}
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return shaderpkg.ReadTextureSet(f, st.Size(), set)
}

// openLargestSet opens the largest texture set of a v2 version for vetting (nil without sets);
// the caller closes it.
func (it *Item) openLargestSet() (fs.FS, func() error, error) {
	if len(it.sets) == 0 {
		return nil, func() error { return nil }, nil
	}
	largest := it.sets[len(it.sets)-1] // ascending by resolution (ParseManifest)
	f, err := os.Open(largest.path)
	if err != nil {
		return nil, nil, err
	}
	zr, err := zip.NewReader(f, largest.Size)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", largest.path, err)
	}
	return zr, f.Close, nil
}
