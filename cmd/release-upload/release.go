package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/octanebridge/octane-bridge/internal/s3client"
)

// Cache lifetimes: a versioned zip never changes; the listings change with every release and
// match the site's own /addon/ header (vercel.json).
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheListing   = "public, max-age=300, must-revalidate"
)

type options struct {
	dir, bucket, prefix string
	dryRun, verify      bool
	s3                  s3client.Config // how to reach S3
}

func parseArgs(args []string, getenv func(string) string) (options, error) {
	fl := flag.NewFlagSet("release-upload", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	var o options
	fl.BoolVar(&o.dryRun, "dry-run", false, "print what would be uploaded; contact nothing")
	fl.BoolVar(&o.verify, "verify", false, "read every object back and compare it with DIR")
	fl.StringVar(&o.prefix, "prefix", "addon", "key prefix in the bucket")
	fl.StringVar(&o.bucket, "bucket", getenv("S3_BUCKET"), "bucket (default $S3_BUCKET)")
	if err := fl.Parse(args); err != nil {
		return o, fmt.Errorf("%w\nusage: release-upload [-dry-run] [-verify] [-prefix addon] [-bucket NAME] DIR", err)
	}
	if fl.NArg() != 1 {
		return o, errors.New("usage: release-upload [-dry-run] [-verify] [-prefix addon] [-bucket NAME] DIR")
	}
	if o.dryRun && o.verify {
		return o, errors.New("-dry-run and -verify exclude each other")
	}
	o.dir = fl.Arg(0)
	o.prefix = strings.Trim(o.prefix, "/")
	if o.prefix == "" || !validKey(o.prefix) {
		return o, fmt.Errorf("-prefix %q: want a relative key prefix such as addon", o.prefix)
	}
	if o.bucket == "" {
		return o, errors.New("no bucket: set S3_BUCKET or -bucket")
	}
	o.s3 = s3client.FromEnv(getenv)
	return o, nil
}

// validKey: slash-separated segments of letters, digits, '.', '_', '-', none of them "." or "..".
func validKey(k string) bool {
	for _, seg := range strings.Split(k, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
				return false
			}
		}
	}
	return true
}

// file is one object of the release.
type file struct {
	path, key                       string // local path, object key
	size                            int64
	sha256hex                       string
	contentType, cacheControl, disp string
	immutable                       bool
}

// readRelease lists DIR in upload order: the version folders' files, then the top-level files
// with index.json last. It refuses anything that is not the release layout.
func readRelease(dir, prefix string) ([]file, error) {
	var files []file
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && strings.Contains(rel, "/") {
				return fmt.Errorf("%s: only one level of version folders is expected", rel)
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", rel)
		}
		if !validKey(rel) {
			return fmt.Errorf("%s: not a plain file name", rel)
		}
		ext := path.Ext(rel)
		if ext != ".zip" && ext != ".json" {
			return fmt.Errorf("%s: a release holds only .zip and .json files", rel)
		}
		f := file{path: p, key: prefix + "/" + rel, immutable: strings.Contains(rel, "/")}
		if f.size, f.sha256hex, err = hashFile(p); err != nil {
			return err
		}
		f.contentType, f.cacheControl = "application/json", cacheListing
		if ext == ".zip" {
			f.contentType = "application/zip"
			f.disp = fmt.Sprintf("attachment; filename=%q", path.Base(rel))
		}
		if f.immutable {
			f.cacheControl = cacheImmutable
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rank := func(f file) int {
		switch {
		case f.immutable:
			return 0
		case path.Base(f.key) != "index.json":
			return 1
		}
		return 2
	}
	sort.SliceStable(files, func(i, j int) bool {
		if rank(files[i]) != rank(files[j]) {
			return rank(files[i]) < rank(files[j])
		}
		return files[i].key < files[j].key
	})
	if len(files) == 0 || files[len(files)-1].key != prefix+"/index.json" {
		return nil, fmt.Errorf("%s: no index.json at the top (build the release with scripts/release.sh)", dir)
	}
	if rank(files[0]) != 0 {
		return nil, fmt.Errorf("%s: no version folder with zips", dir)
	}
	return files, nil
}

func hashFile(p string) (int64, string, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", p, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// objectStore is what a release needs from S3.
type objectStore interface {
	// Put stores the file under its key; S3 checks the SHA-256.
	Put(ctx context.Context, f file) error
	// Sum returns the stored object's size and SHA-256, or found=false.
	Sum(ctx context.Context, key string) (size int64, sha256hex string, found bool, err error)
}

func upload(ctx context.Context, s objectStore, files []file, stdout io.Writer) error {
	// Every immutable object is checked before anything is written, so a refused release
	// uploads nothing.
	skip := map[string]bool{}
	for _, f := range files {
		if !f.immutable {
			continue
		}
		size, sum, found, err := s.Sum(ctx, f.key)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		if size != f.size || sum != f.sha256hex {
			return fmt.Errorf("%s is already published with other content (sha256 %s); a published version never changes: raise the version in blender_addon/blender_manifest.toml", f.key, sum)
		}
		skip[f.key] = true
	}
	var put, same int
	for _, f := range files {
		if skip[f.key] {
			same++
			fmt.Fprintf(stdout, "unchanged %s\n", f.key)
			continue
		}
		if err := s.Put(ctx, f); err != nil {
			return err
		}
		put++
		fmt.Fprintf(stdout, "uploaded %s (%d bytes, sha256 %s)\n", f.key, f.size, f.sha256hex)
	}
	fmt.Fprintf(stdout, "published %d objects (%d unchanged)\n", put, same)
	return nil
}

func verify(ctx context.Context, s objectStore, files []file, stdout io.Writer) error {
	var bad []string
	for _, f := range files {
		size, sum, found, err := s.Sum(ctx, f.key)
		switch {
		case err != nil:
			return err
		case !found:
			bad = append(bad, f.key+": missing")
		case size != f.size || sum != f.sha256hex:
			bad = append(bad, fmt.Sprintf("%s: %d bytes sha256 %s, want %d bytes sha256 %s", f.key, size, sum, f.size, f.sha256hex))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the bucket does not hold this release:\n  %s", strings.Join(bad, "\n  "))
	}
	fmt.Fprintf(stdout, "verified %d objects\n", len(files))
	return nil
}
