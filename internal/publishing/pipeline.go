// Package publishing is the one publishing pipeline: validate every package, vet its .blend in
// headless Blender (Octane graph included), sign its manifest, make the preview renditions, then
// upload and register it. The publish CLI runs it over files; the publish worker runs it over a
// package uploaded from the operator's page. Nothing is written to the bucket or the catalog
// before every earlier step passed for every package.
package publishing

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg/blendvet"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg/preview"
)

// Item is one package on its way to the catalog.
type Item struct {
	Src    string // where it came from, for messages
	Data   []byte // the zip (a v2 version's base)
	IsFree bool
	// SetsDir holds a v2 version's texture set zips, named as the last element of
	// shaderpkg.TextureSetKey (textures-<res>.zip).
	SetsDir string
	Pkg     *shaderpkg.Package
	Sig     string // manifest signature
	Skip    bool   // already published with the same content (skipExisting)

	preview []byte
	sets    []setFile // a v2 version's texture sets, verified, ascending by resolution
	// renditions are the grid's JPEGs derived from preview (preview.Renditions), for a version
	// being published or a skipped one whose renditions are missing from the bucket (backfill).
	renditions []preview.Rendition
	backfill   bool
}

func (it *Item) Slug() string    { return it.Pkg.Manifest.ShaderID }
func (it *Item) Version() string { return it.Pkg.Manifest.Version }

// PackageKey and PreviewKey are where the version's objects live in the bucket.
func (it *Item) PackageKey() string { return "packages/" + it.Slug() + "/" + it.Version() + ".zip" }
func (it *Item) PreviewKey() string { return "previews/" + it.Slug() + "/" + it.Version() + ".webp" }

// needsRenditions: the version is published now, or was published before its renditions existed.
func (it *Item) needsRenditions() bool { return !it.Skip || it.backfill }

// Refused is a step that turned packages away: Problems holds every problem, and Code the
// failure code of the step (schemas/codes.json).
type Refused struct {
	Step     string
	Code     codes.Code
	Summary  string
	Problems []Problem
}

// Problem is one line of a refusal with the most precise code known for it: a vetting problem's
// own code, a shaderpkg validation error's code, else the step's code. The operator's page shows
// the code's sentence under the line.
type Problem struct {
	Code codes.Code
	Text string
}

// problemOf is the problem err causes, reported as text: err's shaderpkg code when it has one,
// else code.
func problemOf(code codes.Code, err error, text string) Problem {
	if c := shaderpkg.CodeOf(err); c != "" {
		code = c
	}
	return Problem{Code: code, Text: text}
}

func (r *Refused) Error() string {
	if len(r.Problems) == 0 {
		return r.Summary
	}
	var b strings.Builder
	b.WriteString(r.Summary + ":")
	for _, p := range r.Problems {
		b.WriteString("\n  " + p.Text)
	}
	return b.String()
}

// Validate reads every package completely (hashes, sizes, layout), and every texture set of a
// v2 version (found in Item.SetsDir), and reports all failures.
func Validate(items []*Item, stdout io.Writer) error {
	var bad []Problem
	badItems := map[*Item]bool{} // a package with several problems counts once in the summary
	invalid := func(it *Item, err error) {
		bad = append(bad, problemOf(codes.PackageInvalid, err, fmt.Sprintf("%s: %v", it.Src, err)))
		badItems[it] = true
	}
	ids := map[string]string{}
	for _, it := range items {
		p, err := shaderpkg.ReadPackageBytes(it.Data)
		if err != nil {
			invalid(it, err)
			continue
		}
		it.Pkg = p
		for _, err := range it.readSets() {
			invalid(it, err)
		}
		key := p.Manifest.ShaderID + "@" + p.Manifest.Version
		if prev, dup := ids[key]; dup {
			bad = append(bad, Problem{Code: codes.PackageInvalid, Text: fmt.Sprintf("%s: %s is also in %s", it.Src, key, prev)})
			badItems[it] = true
		}
		ids[key] = it.Src
		if it.preview, err = p.ReadFile(shaderpkg.PreviewPath); err != nil {
			invalid(it, err)
		} else if _, err := preview.Config(it.preview); err != nil { // the header only; derive decodes
			invalid(it, err)
		}
	}
	if len(bad) > 0 {
		return &Refused{Step: "validate", Code: codes.PackageInvalid, Problems: bad,
			Summary: fmt.Sprintf("%d of %d packages are invalid", len(badItems), len(items))}
	}
	fmt.Fprintf(stdout, "validate: %d packages ok\n", len(items))
	return nil
}

// Vet opens every .blend in headless Blender with scripts disabled and checks it, the Octane
// graph against OctaneBlender's node definitions included (package blendvet); a v2 version's
// .blend with its largest texture set laid out as textures/<name> beside it.
func Vet(ctx context.Context, items []*Item, blender string, stdout io.Writer) error {
	pkgs := make([]*shaderpkg.Package, len(items))
	textures := make([]fs.FS, len(items))
	for i, it := range items {
		pkgs[i] = it.Pkg
		set, closeSet, err := it.openLargestSet()
		if err != nil {
			return fmt.Errorf("%s: %w", it.Src, err)
		}
		defer closeSet()
		textures[i] = set
	}
	fmt.Fprintf(stdout, "vet: opening %d .blend files in headless Blender (scripts disabled)\n", len(pkgs))
	res, err := blendvet.Vetter{Blender: blender}.VetWithTextures(ctx, pkgs, textures)
	if err != nil {
		return err
	}
	var bad []Problem
	for _, probs := range res {
		for _, p := range probs {
			bad = append(bad, Problem{Code: cmp.Or(p.Code, codes.PackageUnsafe), Text: p.String()})
		}
	}
	if len(bad) > 0 {
		return &Refused{Step: "vet", Code: codes.PackageUnsafe, Problems: bad,
			Summary: fmt.Sprintf("vetting refused %d problem(s)", len(bad))}
	}
	fmt.Fprintf(stdout, "vet: %d packages ok\n", len(items))
	return nil
}

// Sign signs every manifest with the first key of MANIFEST_SIGNING_KEYS (kid:base64 seed, ...).
func Sign(items []*Item, signingKeys string) error {
	if signingKeys == "" {
		return errors.New("MANIFEST_SIGNING_KEYS is not set (kid:base64 seed; see .env.example)")
	}
	kr, err := shaderpkg.ParseSigningKeyring(signingKeys)
	if err != nil {
		return fmt.Errorf("MANIFEST_SIGNING_KEYS: %w", err)
	}
	for _, it := range items {
		if it.Sig, err = shaderpkg.SignManifest(kr, it.Pkg.ManifestJSON); err != nil {
			return fmt.Errorf("%s: sign: %w", it.Src, err)
		}
	}
	return nil
}

// FindMissingRenditions marks skipped versions whose preview renditions are not in the bucket
// (published before renditions existed) for a backfill: publishing with skipExisting adds them.
func FindMissingRenditions(ctx context.Context, store ObjectStore, items []*Item) error {
	for _, it := range items {
		if !it.Skip {
			continue
		}
		for _, w := range preview.Widths {
			ok, err := store.Exists(ctx, preview.RenditionKey(it.PreviewKey(), w))
			if err != nil {
				return fmt.Errorf("%s: %w", it.Src, err)
			}
			if !ok {
				it.backfill = true
				break
			}
		}
	}
	return nil
}

// Derive makes the preview renditions of every version that needs them, before anything is
// uploaded: a preview that does not decode stops the run with nothing written.
func Derive(items []*Item, stdout io.Writer) error {
	var todo []*Item
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
	var bad []Problem
	n := 0
	for i, err := range errs {
		if err != nil {
			bad = append(bad, problemOf(codes.PackageInvalid, err, fmt.Sprintf("%s: %v", todo[i].Src, err)))
			continue
		}
		n++
	}
	if len(bad) > 0 {
		return &Refused{Step: "validate", Code: codes.PackageInvalid, Problems: bad,
			Summary: fmt.Sprintf("%d preview(s) cannot be resized", len(bad))}
	}
	if n > 0 {
		fmt.Fprintf(stdout, "previews: %d × %v px renditions\n", n, preview.Widths)
	}
	return nil
}

// Publish uploads each version's objects (package, preview, renditions), then registers it in
// the catalog; a skipped version only gets its missing renditions.
func Publish(ctx context.Context, db *CatalogDB, store ObjectStore, items []*Item, stdout io.Writer) error {
	// objects are what goes to the bucket for it: a v2 version's texture sets, the package and
	// its preview (new versions only; the sets first, so no base is stored without them), then
	// the preview's renditions (new versions and backfills).
	objects := func(it *Item) []object {
		var objs []object
		if !it.Skip {
			for _, s := range it.sets {
				objs = append(objs, object{key: it.SetKey(s.Resolution), ctype: "application/zip", file: s.path, size: s.Size, sha: s.SHA256})
			}
			objs = append(objs, dataObject(it.PackageKey(), "application/zip", it.Data), dataObject(it.PreviewKey(), "image/webp", it.preview))
		}
		for _, r := range it.renditions {
			objs = append(objs, dataObject(preview.RenditionKey(it.PreviewKey(), r.Width), preview.ContentType, r.Data))
		}
		return objs
	}
	var total int64
	for _, it := range items {
		for _, o := range objects(it) {
			total += o.size
		}
	}
	bar := NewProgress(stdout, "upload", total)
	published, backfilled := 0, 0
	for _, it := range items {
		if !it.needsRenditions() {
			continue
		}
		for _, obj := range objects(it) {
			if err := obj.put(ctx, store, bar); err != nil {
				bar.Done()
				return fmt.Errorf("%s: %w", it.Src, err)
			}
		}
		if it.Skip {
			backfilled++
			bar.Add(0, it.Slug()+" "+it.Version()+" (renditions)")
			continue
		}
		if err := db.insertVersion(ctx, it); err != nil {
			bar.Done()
			return fmt.Errorf("%s: %w", it.Src, err)
		}
		published++
		bar.Add(0, it.Slug()+" "+it.Version())
	}
	bar.Done()
	msg := fmt.Sprintf("published %d, skipped %d already published", published, len(items)-published)
	if backfilled > 0 {
		msg += fmt.Sprintf(" (added the missing preview renditions of %d)", backfilled)
	}
	fmt.Fprintln(stdout, msg)
	return nil
}

// object is one upload: bytes in memory, or a file (a texture set, which can be large).
type object struct {
	key, ctype string
	data       []byte
	file       string
	size       int64
	sha        string
}

func dataObject(key, ctype string, data []byte) object {
	return object{key: key, ctype: ctype, data: data, size: int64(len(data)), sha: SHA256Hex(data)}
}

// put streams the object to the store with its SHA-256 for the store to check.
func (o object) put(ctx context.Context, store ObjectStore, bar *Progress) error {
	var r io.Reader = bytes.NewReader(o.data)
	if o.file != "" {
		f, err := os.Open(o.file)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	return store.Put(ctx, o.key, &countingReader{r: r, p: bar}, o.size, o.ctype, o.sha)
}
