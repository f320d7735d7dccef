package publishing

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// The operator page uploads one zip, so a v2 base arrives without its texture sets: refused at
// validation, saying so, and nothing reaches the catalog (v2 is published with the CLI).
func TestWorkerRefusesV2BaseWithoutSets(t *testing.T) {
	f := newWorkerFixture(t)
	ctx := context.Background()
	var set bytes.Buffer
	ts, err := shaderpkg.WriteTextureSet(&set, "1k", fstest.MapFS{"albedo.jpg": {Data: []byte("jpg")}})
	if err != nil {
		t.Fatal(err)
	}
	m := shaderpkg.Manifest{SchemaVersion: shaderpkg.SchemaVersionV2, ShaderID: "v2-upload", Version: "1.0.0", Name: "V2",
		MaterialName: "OB_V2", Category: "metal", MinBlender: "3.4", MinOctane: "2024.1", TextureSets: []shaderpkg.TextureSet{ts}}
	var base bytes.Buffer
	if _, err := shaderpkg.WritePackage(&base, m, fstest.MapFS{"material.blend": {Data: []byte("BLENDER")},
		"preview.webp": {Data: []byte("RIFF0000WEBPVP8 ")}}); err != nil {
		t.Fatal(err)
	}
	id, _ := f.upload(t, base.Bytes(), nil)
	if ran, err := f.w.RunOne(ctx); err != nil || !ran {
		t.Fatalf("RunOne: ran=%v err=%v", ran, err)
	}
	r := f.job(t, id)
	if r.Status != "refused" || r.Step != "validate" || r.Code == nil || *r.Code != "PACKAGE_INVALID" ||
		!strings.Contains(strings.Join(r.problems(), "\n"), "PACKAGE_MISSING_FILE: the 1k texture set was not given") {
		t.Fatalf("job %+v", r)
	}
	var n int
	f.pool.QueryRow(ctx, `select count(*) from public.shaders where slug = 'v2-upload'`).Scan(&n)
	if n != 0 {
		t.Fatal("a v2 base without its sets reached the catalog")
	}
}
