package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/publishing"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

type publishOptions struct {
	dryRun       bool
	noVet        bool
	skipExisting bool
	free         bool
	publicPrev   bool
	blender      string
}

// explain adds to a refusal the sentence of schemas/codes.json for each code its problems carry
// (once per code, those with a sentence), so the operator reads how to fix them.
func explain(err error) error {
	var r *publishing.Refused
	if !errors.As(err, &r) {
		return err
	}
	var fixes []string
	seen := map[codes.Code]bool{}
	for _, p := range r.Problems {
		if web := p.Code.Info().Web; web != "" && !seen[p.Code] {
			seen[p.Code] = true
			fixes = append(fixes, "\n  "+string(p.Code)+": "+web)
		}
	}
	if len(fixes) == 0 {
		return err
	}
	return fmt.Errorf("%w\nto fix:%s", err, strings.Join(fixes, ""))
}

func runPublish(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("publish", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var o publishOptions
	fl.BoolVar(&o.dryRun, "dry-run", false, "validate, vet and sign, then print what would be published; upload and write nothing")
	fl.BoolVar(&o.noVet, "no-vet", false, "skip vetting in Blender (only for packages vetted before, e.g. the committed demo catalog)")
	fl.BoolVar(&o.skipExisting, "skip-existing", false, "skip versions already published with identical content instead of failing")
	fl.BoolVar(&o.free, "free", false, "mark shaders given as plain .zip files as free (catalog.json sets it per shader)")
	fl.BoolVar(&o.publicPrev, "public-previews", false, "local stack: let anonymous clients read previews/* in the bucket (production serves previews through a CDN) and pages on loopback origins PUT upload parts")
	fl.StringVar(&o.blender, "blender", getenv("BLENDER"), "Blender executable for vetting (default: blender on PATH)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: publish [flags] PACKAGE.zip|FOLDER...\n       publish pack -out DIR SRC_FOLDER...")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return errors.New("no packages given")
	}
	prod, err := checkProduction(getenv, o.publicPrev)
	if err != nil {
		return err
	}
	if prod {
		fmt.Fprintln(stdout, "production: development keys and loopback URLs refused")
	}
	items, err := collect(fl.Args(), o.free)
	if err != nil {
		return err
	}
	if err := publishing.Validate(items, stdout); err != nil {
		return err
	}
	if o.noVet {
		fmt.Fprintln(stdout, "vet: skipped (--no-vet)")
	} else if err := publishing.Vet(ctx, items, o.blender, stdout); err != nil {
		return err
	}
	if err := publishing.Sign(items, getenv("MANIFEST_SIGNING_KEYS")); err != nil {
		return err
	}

	dbURL := getenv("DATABASE_URL")
	if dbURL == "" {
		if !o.dryRun {
			return errors.New("DATABASE_URL is not set")
		}
		fmt.Fprintln(stdout, "dry run without DATABASE_URL: not checking for existing versions")
		if err := publishing.Derive(items, stdout); err != nil {
			return err
		}
		return printPlan(items, stdout)
	}
	db, conn, err := publishing.OpenCatalogDB(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if err := db.CheckCatalog(ctx, items, o.skipExisting); err != nil {
		return err
	}
	if o.dryRun {
		if err := publishing.Derive(items, stdout); err != nil {
			return err
		}
		return printPlan(items, stdout)
	}
	store, err := s3FromEnv(getenv)
	if err != nil {
		return err
	}
	if o.publicPrev {
		if err := store.AllowPublicRead(ctx, "previews/"); err != nil {
			return err
		}
		// The operator's page PUTs upload parts straight to the bucket (loopback origins only).
		if err := store.AllowBrowserUploads(ctx, "http://127.0.0.1:*", "http://localhost:*"); err != nil {
			return err
		}
	}
	if err := publishing.FindMissingRenditions(ctx, store, items); err != nil {
		return err
	}
	if err := publishing.Derive(items, stdout); err != nil {
		return err
	}
	return publishing.Publish(ctx, db, store, items, stdout)
}

// s3FromEnv is the catalog bucket from S3_* (no endpoint: AWS S3 for the region).
func s3FromEnv(getenv func(string) string) (*publishing.S3Store, error) {
	return publishing.NewS3Store(publishing.S3Config{
		Endpoint: getenv("S3_ENDPOINT"), Region: getenv("S3_REGION"), AccessKey: getenv("S3_ACCESS_KEY"),
		SecretKey: getenv("S3_SECRET_KEY"), Bucket: getenv("S3_BUCKET"),
	})
}

// collect reads the arguments: a .zip, a catalog folder with catalog.json, or a folder of zips.
func collect(paths []string, free bool) ([]*publishing.Item, error) {
	var items []*publishing.Item
	seen := map[string]bool{}
	add := func(path string, isFree bool) error {
		abs, _ := filepath.Abs(path)
		if seen[abs] {
			return nil
		}
		seen[abs] = true
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		if st.Size() > shaderpkg.MaxPackageSize {
			return fmt.Errorf("%s: %d bytes is over the %d byte package limit", path, st.Size(), int64(shaderpkg.MaxPackageSize))
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// A v2 base's texture sets are beside it: X.zip -> X/textures-<res>.zip.
		items = append(items, &publishing.Item{Src: path, Data: data, IsFree: isFree, SetsDir: strings.TrimSuffix(path, ".zip")})
		return nil
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if err := add(p, free); err != nil {
				return nil, err
			}
			continue
		}
		if idx, err := readIndex(filepath.Join(p, "catalog.json")); err == nil {
			for _, e := range idx.Shaders {
				if !filepath.IsLocal(e.Package) {
					return nil, fmt.Errorf("%s/catalog.json: package path %q leaves the folder", p, e.Package)
				}
				if err := add(filepath.Join(p, e.Package), e.IsFree); err != nil {
					return nil, err
				}
			}
			continue
		} else if !os.IsNotExist(err) {
			return nil, err
		}
		zips, _ := filepath.Glob(filepath.Join(p, "*.zip"))
		slices.Sort(zips)
		if len(zips) == 0 {
			return nil, fmt.Errorf("%s: no catalog.json and no .zip files", p)
		}
		for _, z := range zips {
			if err := add(z, free); err != nil {
				return nil, err
			}
		}
	}
	return items, nil
}

func printPlan(items []*publishing.Item, stdout io.Writer) error {
	n := 0
	for _, it := range items {
		if it.Skip {
			continue
		}
		n++
		tier := "pro"
		if it.IsFree {
			tier = "free"
		}
		fmt.Fprintf(stdout, "would publish %-28s %-8s %-4s %8d bytes sha256 %s… -> %s\n",
			it.Slug(), it.Version(), tier, len(it.Data), it.Pkg.SHA256[:12], it.PackageKey())
		for _, set := range it.Pkg.Manifest.TextureSets {
			fmt.Fprintf(stdout, "  with texture set %-4s %24d bytes sha256 %s… -> %s\n", set.Resolution, set.Size, set.SHA256[:12], it.SetKey(set.Resolution))
		}
	}
	fmt.Fprintf(stdout, "dry run: %d to publish, %d already published\n", n, len(items)-n)
	return nil
}
