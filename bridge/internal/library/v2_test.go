package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/extract"
	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// installV2 does what an import of pkg at res does: the base and the set each in its own cache
// entry, and the signed delivery kept. It returns the base's sha256.
func (f *fixture) installV2(t *testing.T, pkg testenv.V2Package, res string) string {
	t.Helper()
	put := func(zipBytes []byte, fill func(zip, tmp string) error) string {
		sum := sha256.Sum256(zipBytes)
		sha := hex.EncodeToString(sum[:])
		zip := filepath.Join(t.TempDir(), sha+".zip")
		if err := os.WriteFile(zip, zipBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cache.Install(sha, func(tmp string) error { return fill(zip, tmp) }); err != nil {
			t.Fatal(err)
		}
		return sha
	}
	ctx := context.Background()
	base := put(pkg.Base, func(zip, tmp string) error {
		return extract.Extract(ctx, zip, tmp, extract.DefaultLimits(), pkg.Manifest.Files)
	})
	set, _ := pkg.Manifest.Set(res)
	put(pkg.Sets[res], func(zip, tmp string) error {
		return extract.ExtractSet(ctx, zip, tmp, extract.DefaultLimits(), set.Files)
	})
	d, err := shaderpkg.DeliveryForSet("imp-"+res, pkg.Manifest, base, int64(len(pkg.Base)), res, time.Now(), 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := shaderpkg.SignDelivery(shaderpkg.LocalDevKeyring(), d)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.lib.Keep(signed); err != nil {
		t.Fatal(err)
	}
	return base
}

// Each resolution of a v2 package used is its own library entry sharing the base: listed with
// its resolution and both folders, opened with both checked; a changed texture set is removed
// alone, the base and the other resolution still open.
func TestV2EntriesAreBasePlusOneSet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pkg := testenv.BuildV2Package(t, "oak-wood", "1.1.0", "1k", "2k")
	base := f.installV2(t, pkg, "1k")
	if again := f.installV2(t, pkg, "2k"); again != base {
		t.Fatal("the base differs between resolutions")
	}
	list, err := f.lib.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("list %+v, %v", list, err)
	}
	if list[0].Resolution != "2k" || list[1].Resolution != "1k" { // 2k used last
		t.Fatalf("order %s, %s", list[0].Resolution, list[1].Resolution)
	}
	for _, e := range list {
		if e.SHA256 != base || e.Dir != list[0].Dir || e.TexturesDir == "" || e.TexturesDir == e.Dir ||
			len(e.Resolutions) != 1 || e.Resolutions[0] != e.Resolution || e.Bytes <= 0 || e.Preview == "" {
			t.Fatalf("entry %+v", e)
		}
	}
	e, unpin, err := f.lib.Open(ctx, base, "2k")
	if err != nil {
		t.Fatal(err)
	}
	unpin()
	if _, err := os.Stat(filepath.Join(e.TexturesDir, "albedo.jpg")); err != nil || e.Resolution != "2k" {
		t.Fatalf("opened %+v: %v", e, err)
	}
	if _, _, err := f.lib.Open(ctx, base, "4k"); fault.CodeOf(err) != CodeMissing {
		t.Fatalf("a resolution never imported: %v", err)
	}

	if err := os.WriteFile(filepath.Join(e.TexturesDir, "albedo.jpg"), []byte("changed"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.lib.Open(ctx, base, "2k"); fault.CodeOf(err) != CodeDamaged {
		t.Fatalf("a changed set: %v", err)
	}
	if _, err := os.Stat(e.TexturesDir); !os.IsNotExist(err) {
		t.Fatalf("the changed set is still there: %v", err)
	}
	one, unpin, err := f.lib.Open(ctx, base, "1k")
	if err != nil || one.Dir != e.Dir {
		t.Fatalf("the base and the 1k set after the 2k set was removed: %+v, %v", one, err)
	}
	unpin()
	if list, _ := f.lib.List(); len(list) != 1 || list[0].Resolution != "1k" {
		t.Fatalf("list after removal %+v", list)
	}
}
