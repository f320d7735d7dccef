package importer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/diskspace"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// The objects of an import: a v1 delivery names one zip (the package); a v2 delivery a base zip
// (manifest.json, material.blend, preview) and at most one texture set. Each object is
// downloaded unless the content-addressed cache holds its sha256, verified against the signed
// delivery and extracted into its own cache entry, so a resolution switch reuses the base and a
// bad set never touches the base or the other sets.

// Object names, in the trace's "fetched" and the logs.
const (
	objBase     = "base" // a v1 package counts as its base
	objTextures = "textures"
)

type object struct {
	name  string
	res   string // the texture set's resolution
	sha   string
	size  int64
	files []shaderpkg.File
	url   string
}

func (o object) set() bool { return o.name == objTextures }

// what names the object for people.
func (o object) what() string {
	if o.set() {
		return "the " + o.res + " texture set"
	}
	return "the package"
}

// objectsOf lists what a verified delivery asks to download.
func objectsOf(d shaderpkg.Delivery, del Delivered) ([]object, error) {
	if d.V != shaderpkg.DeliveryVersionV2 {
		return []object{{name: objBase, sha: d.SHA256, size: d.Size, files: d.Files, url: del.URL}}, nil
	}
	objs := []object{{name: objBase, sha: d.Base.SHA256, size: d.Base.Size, files: d.Base.Files, url: del.URL}}
	if t := d.Textures; t != nil {
		if del.TexturesURL == "" {
			return nil, Fail(CodeDownloadFailed, "The server named a texture set but no address to download it from. Import again.", nil)
		}
		objs = append(objs, object{name: objTextures, res: t.Resolution, sha: t.SHA256, size: t.Size, files: t.Files, url: del.TexturesURL})
	}
	return objs, nil
}

// obtainAll returns each object's cache entry (in objs' order) and whether all were cache hits,
// downloading the ones the cache lacks with one progress over the bytes they need, then
// extracting them. Imports that share an object take turns on it (locked in sha order), so the
// second finds the first one's entry.
func (p *Pipeline) obtainAll(ctx context.Context, r Request, rep *reports, objs []object, name string, log *slog.Logger) ([]string, bool, error) {
	shas := make([]string, 0, len(objs))
	for _, o := range objs {
		shas = append(shas, o.sha)
	}
	slices.Sort(shas)
	for _, sha := range slices.Compact(shas) {
		p.mu.Lock()
		m := p.fetching[sha]
		if m == nil {
			m = &sync.Mutex{}
			p.fetching[sha] = m
		}
		p.mu.Unlock()
		m.Lock()
		defer m.Unlock()
	}
	dirs := make([]string, len(objs))
	var need []int
	for i, o := range objs {
		if dir, ok := p.cfg.Cache.Lookup(o.sha); ok {
			valid, err := p.verifyEntry(ctx, dir, o, log)
			if err != nil {
				return nil, false, err
			}
			if valid {
				dirs[i] = dir
				fetchedBytes(ctx, o.name, 0)
				continue
			}
		}
		need = append(need, i)
	}
	if len(need) == 0 {
		return dirs, true, nil
	}
	var wanted []object
	for _, i := range need {
		wanted = append(wanted, objs[i])
	}
	parts, err := p.fetchAll(ctx, r, rep, wanted, name, log)
	if err != nil {
		return nil, false, err
	}
	p.cfg.Notify.Progress(stdio.Progress{ImportID: r.ImportID, ShaderName: name, Stage: stdio.StageExtracting, Fraction: 1})
	for k, i := range need {
		if dirs[i], err = p.install(ctx, objs[i], parts[k], log); err != nil {
			return nil, false, err
		}
	}
	return dirs, false, nil
}

// fetchAll downloads the objects into their part files, one after the other, as one progress.
func (p *Pipeline) fetchAll(ctx context.Context, r Request, rep *reports, objs []object, name string, log *slog.Logger) ([]string, error) {
	parts := make([]string, len(objs))
	have := make([]int64, len(objs)) // bytes already in each part (a resumed download)
	var total int64
	for i, o := range objs {
		parts[i] = p.cfg.Cache.PartPath(o.sha)
		if st, err := os.Stat(parts[i]); err == nil {
			have[i] = min(st.Size(), o.size)
		}
		total += o.size
	}
	if err := p.checkFree(parts[0], objs, have, log); err != nil {
		return nil, err
	}
	rep.send(ctx, "downloading", 0, "", "")
	mark(ctx, "download_started")
	var before int64 // bytes of the objects already downloaded
	for i, o := range objs {
		err := p.fetch(ctx, r.ImportID, o, parts[i], log, func(done int64) {
			all := before + done
			frac := float64(all) / float64(total)
			p.cfg.Notify.Progress(stdio.Progress{ImportID: r.ImportID, ShaderName: name, Stage: stdio.StageDownloading,
				Fraction: frac, Bytes: all, Total: total})
			rep.progress(ctx, int(frac*100))
		})
		if err != nil {
			return nil, err
		}
		fetchedBytes(ctx, o.name, o.size-have[i])
		before += o.size
	}
	mark(ctx, "downloaded") // and each object's size and sha256 checked (Fetch)
	p.cfg.Notify.Progress(stdio.Progress{ImportID: r.ImportID, ShaderName: name, Stage: stdio.StageVerifying, Fraction: 1, Bytes: total, Total: total})
	rep.send(ctx, "verifying", 100, "", "")
	return parts, nil
}

// fetch downloads one object, resuming after interruptions and stalls.
func (p *Pipeline) fetch(ctx context.Context, id string, o object, part string, log *slog.Logger, progress func(done int64)) error {
	var err error
	delay := p.cfg.Backoff
	for attempt := 1; attempt <= p.cfg.Downloads; attempt++ {
		// A body that stops flowing is cut after StallTimeout and resumed, not waited on forever.
		actx, cancel := context.WithCancel(ctx)
		watchdog := time.AfterFunc(p.cfg.StallTimeout, cancel)
		err = p.cfg.Fetch.Fetch(actx, o.url, part, o.size, o.sha, func(done, _ int64) {
			watchdog.Reset(p.cfg.StallTimeout)
			progress(done)
		})
		stalled := !watchdog.Stop() && actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		code, retry := p.cfg.Classify(err)
		if stalled {
			code, retry = string(codes.Stalled), true
		}
		if !retry || attempt == p.cfg.Downloads {
			return fetchFailure(o, code, err)
		}
		log.Info("download interrupted; resuming", "object", o.name, "attempt", attempt, "err", err)
		if werr := p.wait(ctx, delay); werr != nil {
			return werr
		}
		delay = min(delay*2, p.cfg.MaxWait)
	}
	return err
}

// install extracts a verified zip into the object's cache entry.
func (p *Pipeline) install(ctx context.Context, o object, part string, log *slog.Logger) (string, error) {
	extract := p.cfg.Extract
	if o.set() {
		extract = p.cfg.ExtractSet
	}
	filled := false
	fill := func(tmp string) error {
		filled = true
		mark(ctx, "extract_started")
		return extract(ctx, part, tmp, o.files)
	}
	dir, err := p.cfg.Cache.Install(o.sha, fill)
	if err == nil && !filled {
		// Another bridge sharing the cache installed it meanwhile: check theirs like any hit.
		valid, verr := p.verifyEntry(ctx, dir, o, log)
		if verr != nil {
			return "", verr
		}
		if !valid {
			dir, err = p.cfg.Cache.Install(o.sha, fill)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return "", err
		}
		if diskspace.Full(err) {
			return "", diskFull(err) // the verified zip stays for the next attempt
		}
		code, _ := p.cfg.Classify(err)
		if !strings.HasPrefix(code, "ARCHIVE_") {
			// The cache could not be written (permissions, I/O): not the package's fault.
			return "", Fail(CodeCacheWrite, "The package could not be written to the shader cache; check the cache folder and its permissions.", err)
		}
		_ = os.Remove(part) // a zip that will not extract is not worth resuming
		return "", Fail(CodePackageUnsafe, "The download of "+o.what()+" was refused by the safety checks ("+code+"); nothing was imported.", err)
	}
	_ = os.Remove(part)
	return dir, nil
}

// verifyEntry checks a cache entry against the object's signed file list. Another local user,
// malware or a disk error may have changed it since it was filled: a changed entry is discarded
// (and downloaded again by the caller); only one that cannot be discarded fails the import.
func (p *Pipeline) verifyEntry(ctx context.Context, dir string, o object, log *slog.Logger) (bool, error) {
	verify := p.cfg.Verify
	if o.set() {
		verify = p.cfg.VerifySet
	}
	if verify == nil {
		return true, nil
	}
	err := verify(ctx, dir, o.files)
	if err == nil || ctx.Err() != nil {
		return err == nil, ctx.Err()
	}
	log.Warn("a cache entry does not match its signed file list; discarding it", "object", o.name, "sha256", o.sha, "err", err)
	if derr := p.cfg.Cache.Discard(o.sha); derr != nil {
		return false, Fail(CodePackageUnsafe, "The cached copy of this shader was altered and could not be removed; clear the cache in the add-on's preferences.", errors.Join(err, derr))
	}
	return false, nil
}

// checkFree fails the import as DISK_FULL before downloading when the disk holding the cache
// cannot take what is left of the zips plus their extracted files (and a margin).
func (p *Pipeline) checkFree(part string, objs []object, have []int64, log *slog.Logger) error {
	if p.cfg.FreeSpace == nil {
		return nil
	}
	need := int64(freeMargin)
	for i, o := range objs {
		need += o.size - have[i] // a resumed download needs only the rest
		for _, f := range o.files {
			need += f.Size
		}
	}
	free, err := p.cfg.FreeSpace(filepath.Dir(part))
	if err != nil {
		log.Info("cannot tell the free disk space; downloading anyway", "err", err)
		return nil
	}
	if free < uint64(max(need, 0)) {
		return Fail(CodeDiskFull, fmt.Sprintf("The disk holding the shader cache has %s free; this shader needs %s. Free some space or lower the cache size.",
			mib(int64(min(free, 1<<62))), mib(need)), nil)
	}
	return nil
}

func fetchFailure(o object, code string, err error) error {
	if diskspace.Full(err) {
		return diskFull(err)
	}
	switch code {
	case string(codes.HashMismatch), string(codes.SizeMismatch):
		return Fail(CodeChecksumMismatch, "The download of "+o.what()+" did not match its signed checksum and was discarded.", err)
	case string(codes.TooLarge):
		return Fail(CodePackageUnsafe, "The package is larger than the bridge accepts.", err)
	}
	return Fail(CodeDownloadFailed, fmt.Sprintf("The download did not complete (%s). Import again.", code), err)
}

// blenderImport is the import message for the objects' entries (dirs in objsOf order).
func blenderImport(r Request, d shaderpkg.Delivery, name string, objs []object, dirs []string) stdio.Import {
	apply := r.Apply
	if apply.Mode == "" {
		apply.Mode = stdio.ApplyAssign
	}
	imp := stdio.Import{ImportID: r.ImportID, ShaderID: d.ShaderID, Version: d.Version, ShaderName: name,
		MaterialName: d.MaterialName, BlendPath: filepath.Join(dirs[0], "material.blend"), PackageDir: dirs[0], Apply: apply}
	for i, o := range objs {
		if o.set() {
			imp.TexturesDir, imp.Resolution = &dirs[i], &objs[i].res
		}
	}
	return imp
}
