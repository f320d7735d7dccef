package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// v2Rig imports a v2 package (a base and texture sets) through the pipeline with in-memory parts:
// the edge hands out the base and the set asked for, the fetcher records what it downloads.
type v2Rig struct {
	*rig
	pkg   testenv.V2Package
	base  string            // the base's sha256
	sets  map[string]string // resolution -> the set's sha256
	res   string            // the resolution the next import asks for
	bad   map[string]bool   // URLs whose download fails its checksum
	mu    sync.Mutex
	urls  []string // downloaded, in order
	setOK bool     // VerifySet's answer for cached sets (false: tampered)
	logs  testenv.LogBuffer
	prog  *progressLog
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newV2Rig(t *testing.T) *v2Rig {
	v := &v2Rig{rig: newRig(t), pkg: testenv.BuildV2Package(t, "oak-wood", "1.1.0", "1k", "2k", "4k"), sets: map[string]string{},
		bad: map[string]bool{}, setOK: true}
	v.base = sum(v.pkg.Base)
	for res, z := range v.pkg.Sets {
		v.sets[res] = sum(z)
	}
	v.rig.log = slog.New(slog.NewJSONHandler(&v.logs, nil))
	v.start(t)
	return v
}

// Redeem and Redeliver hand out the v2 delivery of the base and the set at v.res (the rest of
// the edge is the rig's).
func (v *v2Rig) Redeem(_ context.Context, id, _ string) (Delivered, error) { return v.delivery(id) }
func (v *v2Rig) Redeliver(_ context.Context, id string) (Delivered, error) { return v.delivery(id) }
func (v *v2Rig) Reissue(ctx context.Context, id string) (string, error) {
	return v.edge.Reissue(ctx, id)
}
func (v *v2Rig) Report(ctx context.Context, id, status string, progress int, code, msg string) error {
	return v.edge.Report(ctx, id, status, progress, code, msg)
}

func (v *v2Rig) delivery(id string) (Delivered, error) {
	d, err := shaderpkg.DeliveryForSet(id, v.pkg.Manifest, v.base, int64(len(v.pkg.Base)), v.res, time.Now(), 5*time.Minute)
	if err != nil {
		return Delivered{}, err
	}
	s, err := shaderpkg.SignDelivery(v.edge.kr, d)
	return Delivered{URL: "https://s3.example/base", TexturesURL: "https://s3.example/" + v.res, Signed: s}, err
}

// Fetch writes the object's real bytes, reporting progress like download.Client.
func (v *v2Rig) Fetch(_ context.Context, url, part string, size int64, sha string, progress func(int64, int64)) error {
	v.mu.Lock()
	v.urls = append(v.urls, url)
	v.mu.Unlock()
	if v.bad[url] {
		return errors.New("HASH_MISMATCH: hash of the download differs")
	}
	progress(size/2, size)
	progress(size, size)
	return os.WriteFile(part, []byte(sha), 0o600)
}

func (v *v2Rig) fetched() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := v.urls
	v.urls = nil
	return out
}

type progressLog struct {
	*notes
	mu    sync.Mutex
	bytes []int64
	total []int64
}

func (p *progressLog) Progress(pr stdio.Progress) {
	if pr.Stage == stdio.StageDownloading {
		p.mu.Lock()
		p.bytes, p.total = append(p.bytes, pr.Bytes), append(p.total, pr.Total)
		p.mu.Unlock()
	}
	p.notes.Progress(pr)
}

func (v *v2Rig) start(t *testing.T) {
	write := func(name string) ExtractFunc {
		return func(_ context.Context, _, dir string, files []shaderpkg.File) error {
			for _, f := range files {
				if err := os.WriteFile(filepath.Join(dir, f.Path), []byte(name), 0o600); err != nil {
					return err
				}
			}
			return nil
		}
	}
	prog := &progressLog{notes: v.notes}
	v.p = New(Config{Edge: v, Fetch: v, Cache: v.store, Extract: write("base"), ExtractSet: write("set"),
		Blender: v.blender, Notify: prog, Log: v.rig.log, Trusted: shaderpkg.LocalDevKeyring().PublicKeys(),
		Classify: func(err error) (string, bool) { return "HASH_MISMATCH", false },
		Verify:   func(context.Context, string, []shaderpkg.File) error { return nil },
		VerifySet: func(context.Context, string, []shaderpkg.File) error {
			if !v.setOK {
				return errors.New("ARCHIVE_MISMATCH: albedo.jpg: content differs from the signed sha256")
			}
			return nil
		},
		Backoff: time.Millisecond, MaxWait: 5 * time.Millisecond})
	v.prog = prog
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { v.p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// importAt runs one import at res to its end.
func (v *v2Rig) importAt(t *testing.T, id, res string) stdio.ImportStatus {
	t.Helper()
	v.res = res
	v.p.Enqueue(Request{ImportID: id, Token: "t", Apply: stdio.Apply{Mode: stdio.ApplySwitch, Material: "OB_Test"}})
	return v.final(t)
}

// A v2 import downloads the base and the chosen set as one progress and hands Blender both
// folders; a switch to another resolution downloads only that set (never the base again).
func TestV2ImportFetchesBaseAndSetAndASwitchOnlyTheSet(t *testing.T) {
	v := newV2Rig(t)
	if s := v.importAt(t, "at-1k", "1k"); s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
	if got := v.fetched(); !slices.Equal(got, []string{"https://s3.example/base", "https://s3.example/1k"}) {
		t.Fatalf("downloaded %v", got)
	}
	total := int64(len(v.pkg.Base) + len(v.pkg.Sets["1k"]))
	prog := v.prog
	if n := len(prog.bytes); n == 0 || prog.bytes[n-1] != total || !slices.IsSorted(prog.bytes) || slices.Min(prog.total) != total {
		t.Fatalf("one progress over %d bytes: %v of %v", total, prog.bytes, prog.total)
	}
	imp := v.blender.got[0]
	if imp.PackageDir != filepath.Join(v.store.dir, v.base) || imp.TexturesDir == nil || *imp.TexturesDir != filepath.Join(v.store.dir, v.sets["1k"]) ||
		*imp.Resolution != "1k" || imp.Apply != (stdio.Apply{Mode: stdio.ApplySwitch, Material: "OB_Test"}) {
		t.Fatalf("import %+v", imp)
	}
	if f := doneLineOf(t, v.logs.String(), "at-1k").Fetched; f["base"] != int64(len(v.pkg.Base)) || f["textures"] != int64(len(v.pkg.Sets["1k"])) {
		t.Fatalf("fetched %v", f)
	}

	if s := v.importAt(t, "to-2k", "2k"); s.Status != "done" {
		t.Fatalf("switch %+v", s)
	}
	if got := v.fetched(); !slices.Equal(got, []string{"https://s3.example/2k"}) {
		t.Fatalf("a switch downloaded %v", got)
	}
	if f := doneLineOf(t, v.logs.String(), "to-2k").Fetched; f["base"] != 0 || f["textures"] != int64(len(v.pkg.Sets["2k"])) {
		t.Fatalf("fetched %v", f)
	}
	if imp := v.blender.got[1]; imp.PackageDir != v.blender.got[0].PackageDir || *imp.TexturesDir != filepath.Join(v.store.dir, v.sets["2k"]) {
		t.Fatalf("switch import %+v", imp)
	}
}

// A texture set that fails its checksum fails the import with CHECKSUM_MISMATCH naming the set,
// and leaves the base and the other sets in the cache; a changed cached set is discarded alone
// and downloaded again.
func TestTamperedTextureSetFailsAloneAndTouchesNothingElse(t *testing.T) {
	v := newV2Rig(t)
	for _, res := range []string{"1k", "2k"} {
		if s := v.importAt(t, "at-"+res, res); s.Status != "done" {
			t.Fatalf("final %+v", s)
		}
	}
	v.fetched()
	v.bad["https://s3.example/4k"] = true
	s := v.importAt(t, "at-4k", "4k")
	if s.Status != "failed" || s.Code != CodeChecksumMismatch || !strings.Contains(s.Message, "4k texture set") {
		t.Fatalf("final %+v", s)
	}
	if got := v.fetched(); !slices.Equal(got, []string{"https://s3.example/4k"}) {
		t.Fatalf("downloaded %v", got)
	}
	for _, sha := range []string{v.base, v.sets["1k"], v.sets["2k"]} {
		if _, ok := v.store.Lookup(sha); !ok {
			t.Fatalf("%s left the cache", sha)
		}
	}
	if len(v.store.discarded) != 0 || len(v.blender.got) != 2 {
		t.Fatalf("discarded %v, Blender got %d imports", v.store.discarded, len(v.blender.got))
	}

	v.setOK = false // the cached 1k set was changed on disk (the fake store's Discard only forgets it)
	if err := os.RemoveAll(filepath.Join(v.store.dir, v.sets["1k"])); err != nil {
		t.Fatal(err)
	}
	if s := v.importAt(t, "again-1k", "1k"); s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
	if !slices.Equal(v.store.discarded, []string{v.sets["1k"]}) {
		t.Fatalf("discarded %v", v.store.discarded)
	}
	if got := v.fetched(); !slices.Equal(got, []string{"https://s3.example/1k"}) {
		t.Fatalf("downloaded %v", got)
	}
}
