//go:build blender

// Needs a real Blender: scripts/suites/packages.sh runs it with -tags blender.
package publishing

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// An uploaded package that passes every step is vetted in headless Blender, signed and
// registered; the job says published and names the version.
func TestWorkerPublishesAVettedPackage(t *testing.T) {
	bin := os.Getenv("BLENDER")
	if bin == "" {
		bin = "blender"
	}
	if _, err := exec.LookPath(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("blender is required in CI")
		}
		t.Skip("blender not found")
	}
	f := newWorkerFixture(t)
	f.w.Blender = bin
	ctx := context.Background()
	id, key := f.upload(t, demoZip(t, "oak-wood"), nil)
	if _, err := f.w.RunOne(ctx); err != nil {
		t.Fatal(err)
	}
	r := f.job(t, id)
	if r.Status != "published" || r.Step != "done" || r.Code != nil || len(r.problems()) != 0 {
		t.Fatalf("job %+v", r)
	}
	var sig string
	if err := f.pool.QueryRow(ctx, `select v.manifest_sig from public.shader_versions v join public.shaders s on s.id = v.shader_id
		where s.slug = 'oak-wood' and s.published`).Scan(&sig); err != nil || sig == "" {
		t.Fatalf("no signed version row: %v", err)
	}
	if ok, _ := f.store.Exists(ctx, key); ok {
		t.Fatal("the upload was not removed after publishing")
	}
}
