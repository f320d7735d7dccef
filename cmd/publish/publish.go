package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg/blendvet"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg/preview"
)

// item is one package on its way to the catalog.
type item struct {
	src     string // where it came from, for messages
	data    []byte // the zip
	pkg     *shaderpkg.Package
	isFree  bool
	preview []byte
	sig     string // manifest signature
	skip    bool   // already published with the same content (--skip-existing)
	// renditions are the grid's JPEGs derived from preview (preview.Renditions), for a version
	// being published or a skipped one whose renditions are missing from the bucket (backfill).
	renditions []preview.Rendition
	backfill   bool
}

func (it *item) slug() string    { return it.pkg.Manifest.ShaderID }
func (it *item) version() string { return it.pkg.Manifest.Version }
func (it *item) packageKey() string {
	return "packages/" + it.slug() + "/" + it.version() + ".zip"
}
func (it *item) previewKey() string {
	return "previews/" + it.slug() + "/" + it.version() + ".webp"
}

// needsRenditions: the version is published now, or was published before its renditions existed.
func (it *item) needsRenditions() bool { return !it.skip || it.backfill }

type publishOptions struct {
	dryRun       bool
	noVet        bool
	skipExisting bool
	free         bool
	publicPrev   bool
	blender      string
}

func runPublish(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("publish", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var o publishOptions
	fl.BoolVar(&o.dryRun, "dry-run", false, "validate, vet and sign, then print what would be published; upload and write nothing")
	fl.BoolVar(&o.noVet, "no-vet", false, "skip vetting in Blender (only for packages vetted before, e.g. the committed demo catalog)")
	fl.BoolVar(&o.skipExisting, "skip-existing", false, "skip versions already published with identical content instead of failing")
	fl.BoolVar(&o.free, "free", false, "mark shaders given as plain .zip files as free (catalog.json sets it per shader)")
	fl.BoolVar(&o.publicPrev, "public-previews", false, "local stack: let anonymous clients read previews/* in the bucket (production serves previews through a CDN)")
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
	if err := validate(items, stdout); err != nil {
		return err
	}
	if o.noVet {
		fmt.Fprintln(stdout, "vet: skipped (--no-vet)")
	} else if err := vet(ctx, items, o.blender, stdout); err != nil {
		return err
	}
	keys := getenv("MANIFEST_SIGNING_KEYS")
	if keys == "" {
		return errors.New("MANIFEST_SIGNING_KEYS is not set (kid:base64 seed; see .env.example)")
	}
	kr, err := shaderpkg.ParseSigningKeyring(keys)
	if err != nil {
		return fmt.Errorf("MANIFEST_SIGNING_KEYS: %w", err)
	}
	for _, it := range items {
		if it.sig, err = shaderpkg.SignManifest(kr, it.pkg.ManifestJSON); err != nil {
			return fmt.Errorf("%s: sign: %w", it.src, err)
		}
	}

	dbURL := getenv("DATABASE_URL")
	if dbURL == "" {
		if !o.dryRun {
			return errors.New("DATABASE_URL is not set")
		}
		fmt.Fprintln(stdout, "dry run without DATABASE_URL: not checking for existing versions")
		if err := derive(items, stdout); err != nil {
			return err
		}
		return printPlan(items, stdout)
	}
	db, err := openCatalogDB(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	if err := checkExisting(ctx, db, items, o.skipExisting, stdout); err != nil {
		return err
	}
	if o.dryRun {
		if err := derive(items, stdout); err != nil {
			return err
		}
		return printPlan(items, stdout)
	}
	store, err := newS3Store(s3Config{
		Endpoint: getenv("S3_ENDPOINT"), Region: getenv("S3_REGION"), AccessKey: getenv("S3_ACCESS_KEY"),
		SecretKey: getenv("S3_SECRET_KEY"), Bucket: getenv("S3_BUCKET"),
	})
	if err != nil {
		return err
	}
	if o.publicPrev {
		if err := store.AllowPublicRead(ctx, "previews/"); err != nil {
			return err
		}
	}
	if err := findMissingRenditions(ctx, store, items); err != nil {
		return err
	}
	if err := derive(items, stdout); err != nil {
		return err
	}
	return publish(ctx, db, store, items, stdout)
}

// collect reads the arguments: a .zip, a catalog folder with catalog.json, or a folder of zips.
func collect(paths []string, free bool) ([]*item, error) {
	var items []*item
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
		items = append(items, &item{src: path, data: data, isFree: isFree})
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

// validate reads every package completely (hashes, sizes, layout) and reports all failures.
func validate(items []*item, stdout io.Writer) error {
	var bad []string
	ids := map[string]string{}
	for _, it := range items {
		p, err := shaderpkg.ReadPackageBytes(it.data)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", it.src, err))
			continue
		}
		it.pkg = p
		key := p.Manifest.ShaderID + "@" + p.Manifest.Version
		if prev, dup := ids[key]; dup {
			bad = append(bad, fmt.Sprintf("%s: %s is also in %s", it.src, key, prev))
		}
		ids[key] = it.src
		if it.preview, err = p.ReadFile(shaderpkg.PreviewPath); err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", it.src, err))
		} else if _, err := preview.Config(it.preview); err != nil { // the header only; derive decodes
			bad = append(bad, fmt.Sprintf("%s: %v", it.src, err))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d of %d packages are invalid:\n  %s", len(bad), len(items), strings.Join(bad, "\n  "))
	}
	fmt.Fprintf(stdout, "validate: %d packages ok\n", len(items))
	return nil
}

func vet(ctx context.Context, items []*item, blender string, stdout io.Writer) error {
	pkgs := make([]*shaderpkg.Package, len(items))
	for i, it := range items {
		pkgs[i] = it.pkg
	}
	fmt.Fprintf(stdout, "vet: opening %d .blend files in headless Blender (scripts disabled)\n", len(pkgs))
	res, err := blendvet.Vetter{Blender: blender}.Vet(ctx, pkgs)
	if err != nil {
		return err
	}
	var bad []string
	for _, probs := range res {
		for _, p := range probs {
			bad = append(bad, p.String())
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("vetting refused %d problem(s):\n  %s", len(bad), strings.Join(bad, "\n  "))
	}
	fmt.Fprintf(stdout, "vet: %d packages ok\n", len(items))
	return nil
}

// findMissingRenditions marks skipped versions whose preview renditions are not in the bucket
// (published before renditions existed) for a backfill: publish --skip-existing adds them.
func findMissingRenditions(ctx context.Context, store objectStore, items []*item) error {
	for _, it := range items {
		if !it.skip {
			continue
		}
		for _, w := range preview.Widths {
			ok, err := store.Exists(ctx, preview.RenditionKey(it.previewKey(), w))
			if err != nil {
				return fmt.Errorf("%s: %w", it.src, err)
			}
			if !ok {
				it.backfill = true
				break
			}
		}
	}
	return nil
}

// derive makes the preview renditions of every version that needs them, before anything is
// uploaded: a preview that does not decode stops the run with nothing written.
func derive(items []*item, stdout io.Writer) error {
	var todo []*item
	for _, it := range items {
		if it.needsRenditions() {
			todo = append(todo, it)
		}
	}
	// ~0.1 s per 1024 px preview: one worker per CPU; errors are reported in the items' order.
	errs := make([]error, len(todo))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(todo))) {
		wg.Go(func() {
			for i := range next {
				todo[i].renditions, errs[i] = preview.Renditions(todo[i].preview)
			}
		})
	}
	for i := range todo {
		next <- i
	}
	close(next)
	wg.Wait()
	var bad []string
	n := 0
	for i, err := range errs {
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", todo[i].src, err))
			continue
		}
		n++
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d preview(s) cannot be resized:\n  %s", len(bad), strings.Join(bad, "\n  "))
	}
	if n > 0 {
		fmt.Fprintf(stdout, "previews: %d × %v px renditions\n", n, preview.Widths)
	}
	return nil
}

func printPlan(items []*item, stdout io.Writer) error {
	n := 0
	for _, it := range items {
		if it.skip {
			continue
		}
		n++
		tier := "pro"
		if it.isFree {
			tier = "free"
		}
		fmt.Fprintf(stdout, "would publish %-28s %-8s %-4s %8d bytes sha256 %s… -> %s\n",
			it.slug(), it.version(), tier, len(it.data), it.pkg.SHA256[:12], it.packageKey())
	}
	fmt.Fprintf(stdout, "dry run: %d to publish, %d already published\n", n, len(items)-n)
	return nil
}

func publish(ctx context.Context, db *catalogDB, store objectStore, items []*item, stdout io.Writer) error {
	type object struct {
		key, ctype string
		data       []byte
	}
	// objects are what goes to the bucket for it: the package and its preview (new versions
	// only), then the preview's renditions (new versions and backfills).
	objects := func(it *item) []object {
		var objs []object
		if !it.skip {
			objs = append(objs, object{it.packageKey(), "application/zip", it.data}, object{it.previewKey(), "image/webp", it.preview})
		}
		for _, r := range it.renditions {
			objs = append(objs, object{preview.RenditionKey(it.previewKey(), r.Width), preview.ContentType, r.Data})
		}
		return objs
	}
	var total int64
	for _, it := range items {
		for _, o := range objects(it) {
			total += int64(len(o.data))
		}
	}
	bar := newProgress(stdout, "upload", total)
	published, backfilled := 0, 0
	for _, it := range items {
		if !it.needsRenditions() {
			continue
		}
		for _, obj := range objects(it) {
			r := &countingReader{r: bytes.NewReader(obj.data), p: bar}
			if err := store.Put(ctx, obj.key, r, int64(len(obj.data)), obj.ctype, sha256Hex(obj.data)); err != nil {
				bar.Done()
				return fmt.Errorf("%s: %w", it.src, err)
			}
		}
		if it.skip {
			backfilled++
			bar.Add(0, it.slug()+" "+it.version()+" (renditions)")
			continue
		}
		if err := db.insertVersion(ctx, it); err != nil {
			bar.Done()
			return fmt.Errorf("%s: %w", it.src, err)
		}
		published++
		bar.Add(0, it.slug()+" "+it.version())
	}
	bar.Done()
	msg := fmt.Sprintf("published %d, skipped %d already published", published, len(items)-published)
	if backfilled > 0 {
		msg += fmt.Sprintf(" (added the missing preview renditions of %d)", backfilled)
	}
	fmt.Fprintln(stdout, msg)
	return nil
}
