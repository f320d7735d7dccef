package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/cache"
	"github.com/octanebridge/octane-bridge/bridge/internal/extract"
	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// demoPackage is a committed demo package: its zip, sha256 and manifest.
func demoPackage(t *testing.T, shaderID string) (string, string, shaderpkg.Manifest) {
	t.Helper()
	zip, b := testenv.ReadDemoPackage(t, shaderID)
	p, err := shaderpkg.ReadPackageBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return zip, hex.EncodeToString(sum[:]), p.Manifest
}

type fixture struct {
	dir   string
	cache *cache.Cache
	lib   *Library
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cache")
	c, err := cache.Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	kr := shaderpkg.LocalDevKeyring()
	return &fixture{dir: dir, cache: c, lib: New(dir, c, kr.PublicKeys(), extract.VerifyTree, extract.VerifySet)}
}

// install does what an import does: extracts the verified zip into the cache and keeps the
// signed delivery it was checked against. issued is the edge's clock at the redemption.
func (f *fixture) install(t *testing.T, shaderID string, issued time.Time) (string, shaderpkg.Manifest) {
	t.Helper()
	zip, sha, m := demoPackage(t, shaderID)
	st, err := os.Stat(zip)
	if err != nil {
		t.Fatal(err)
	}
	d := shaderpkg.DeliveryFor("imp-"+shaderID, m, sha, st.Size(), issued, 5*time.Minute)
	signed, err := shaderpkg.SignDelivery(shaderpkg.LocalDevKeyring(), d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.cache.Install(sha, func(tmp string) error {
		return extract.Extract(context.Background(), zip, tmp, extract.DefaultLimits(), d.Files)
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.lib.Keep(signed); err != nil {
		t.Fatal(err)
	}
	return sha, m
}

// The library lists what imports left in the cache, with what the panel shows, long after the
// deliveries expired, and again after a restart (a new cache and library over the same folder).
func TestListShowsKeptEntriesAndSurvivesARestart(t *testing.T) {
	f := newFixture(t)
	old := time.Now().Add(-30 * 24 * time.Hour)
	oak, m := f.install(t, "oak-wood", old)
	amber, _ := f.install(t, "amber-glass", old)
	if _, ok := f.cache.Lookup(oak); !ok { // oak-wood used last
		t.Fatal("oak-wood not in the cache")
	}
	c2, err := cache.Open(f.dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := New(f.dir, c2, shaderpkg.LocalDevKeyring().PublicKeys(), extract.VerifyTree, extract.VerifySet).List()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].SHA256 != oak || got[1].SHA256 != amber {
		t.Fatalf("listing after a restart: %+v", got)
	}
	e := got[0]
	if e.ShaderID != "oak-wood" || e.Version != m.Version || e.Name != m.Name || e.MaterialName != m.MaterialName ||
		e.MinBlender != m.MinBlender || len(e.Resolutions) == 0 || e.Bytes <= 0 || e.UsedAt.IsZero() {
		t.Fatalf("entry: %+v", e)
	}
	if e.Preview != filepath.Join(e.Dir, "preview.webp") {
		t.Fatalf("preview %q", e.Preview)
	}
	if _, err := os.Stat(e.Preview); err != nil {
		t.Fatal(err)
	}
}

// Open checks every file against the signed list: an untouched entry opens pinned; one changed
// behind the bridge's back is removed with its record and reported as damaged; a cleared one as
// missing.
func TestOpenVerifiesTheSignedFileList(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	oak, _ := f.install(t, "oak-wood", time.Now())
	e, unpin, err := f.lib.Open(ctx, oak, "")
	if err != nil {
		t.Fatal(err)
	}
	if e.ShaderID != "oak-wood" || filepath.Dir(e.Dir) != filepath.Join(f.dir, "pkg") {
		t.Fatalf("opened %+v", e)
	}
	if err := f.cache.Clear(); err != nil { // pinned entries stay
		t.Fatal(err)
	}
	if _, ok := f.cache.Lookup(oak); !ok {
		t.Fatal("an entry opened for Blender was cleared")
	}
	unpin()

	blend := filepath.Join(e.Dir, "material.blend")
	testenv.TamperFile(t, blend)
	if _, _, err := f.lib.Open(ctx, oak, ""); fault.CodeOf(err) != CodeDamaged {
		t.Fatalf("tampered entry: %v", err)
	}
	if _, ok := f.cache.Lookup(oak); ok {
		t.Fatal("the damaged entry is still in the cache")
	}
	if l, _ := f.lib.List(); len(l) != 0 {
		t.Fatalf("listed after removal: %+v", l)
	}
	if _, _, err := f.lib.Open(ctx, oak, ""); fault.CodeOf(err) != CodeMissing {
		t.Fatalf("removed entry: %v", err)
	}
	amber, _ := f.install(t, "amber-glass", time.Now())
	if err := f.cache.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.lib.Open(ctx, amber, ""); fault.CodeOf(err) != CodeMissing {
		t.Fatalf("cleared entry: %v", err)
	}
}

// A record whose signature does not verify (forged, or signed by a key this build does not
// trust) is never listed nor opened, though its files match.
func TestRecordsThatDoNotVerifyAreRefused(t *testing.T) {
	f := newFixture(t)
	oak, _ := f.install(t, "oak-wood", time.Now())
	raw, err := os.ReadFile(f.lib.record(oak))
	if err != nil {
		t.Fatal(err)
	}
	var s shaderpkg.Signed
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	other, err := shaderpkg.NewSigningKeyring("other", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for name, lib := range map[string]*Library{
		"untrusted key": New(f.dir, f.cache, other.PublicKeys(), extract.VerifyTree, extract.VerifySet),
		"no keys":       New(f.dir, f.cache, nil, extract.VerifyTree, extract.VerifySet),
	} {
		if l, _ := lib.List(); len(l) != 0 {
			t.Errorf("%s: listed %+v", name, l)
		}
		if _, _, err := lib.Open(context.Background(), oak, ""); fault.CodeOf(err) != CodeMissing {
			t.Errorf("%s: opened (%v)", name, err)
		}
	}
	s.Payload = s.Payload[:len(s.Payload)-2] + "AA"
	forged, _ := json.Marshal(s)
	if err := os.WriteFile(f.lib.record(oak), forged, 0o600); err != nil {
		t.Fatal(err)
	}
	if l, _ := f.lib.List(); len(l) != 0 {
		t.Fatalf("forged record listed: %+v", l)
	}
}
