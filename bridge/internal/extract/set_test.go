package extract

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// goodSet is a texture set of a v2 package: flat files at the zip root, no manifest.json.
func goodSet() ([]byte, []shaderpkg.File) {
	albedo, rough := noise(40_000, 11), noise(9_000, 12)
	return buildZip([]zent{{Name: "albedo.jpg", Data: albedo, Deflate: true}, {Name: "roughness.jpg", Data: rough}}),
		[]shaderpkg.File{{Path: "albedo.jpg", SHA256: sum(albedo), Size: int64(len(albedo))},
			{Path: "roughness.jpg", SHA256: sum(rough), Size: int64(len(rough))}}
}

// A texture set extracts to exactly its signed files, and its entry verifies; the package
// rules' manifest.json is neither needed nor allowed, and nothing else gets in.
func TestExtractSetTakesExactlyTheSignedFlatFiles(t *testing.T) {
	ctx := context.Background()
	zb, files := goodSet()
	_, zp, out := workspace(t, zb)
	if err := ExtractSet(ctx, zp, out, Limits{}, files); err != nil {
		t.Fatal(err)
	}
	if err := VerifySet(ctx, out, files); err != nil {
		t.Fatalf("an untouched set: %v", err)
	}
	if err := VerifyTree(ctx, out, files); fault.CodeOf(err) != CodeMismatch {
		t.Fatalf("a set is no package (no manifest.json): %v", err)
	}
	must(t, os.WriteFile(filepath.Join(out, "manifest.json"), []byte("{}"), 0o644))
	if err := VerifySet(ctx, out, files); fault.CodeOf(err) != CodeMismatch {
		t.Fatalf("a manifest.json planted in a set: %v", err)
	}

	for name, tc := range map[string]struct {
		ents []zent
		code codes.Code
	}{
		"a manifest.json entry": {[]zent{{Name: "albedo.jpg", Data: noise(40_000, 11)}, {Name: "roughness.jpg", Data: noise(9_000, 12)},
			{Name: "manifest.json", Data: []byte("{}")}}, CodeMismatch},
		"a folder":       {[]zent{{Name: "textures/"}, {Name: "albedo.jpg", Data: noise(40_000, 11)}, {Name: "roughness.jpg", Data: noise(9_000, 12)}}, CodeMismatch},
		"a missing file": {[]zent{{Name: "albedo.jpg", Data: noise(40_000, 11)}}, CodeMismatch},
		"other bytes":    {[]zent{{Name: "albedo.jpg", Data: noise(40_000, 13)}, {Name: "roughness.jpg", Data: noise(9_000, 12)}}, CodeMismatch},
		"a traversal":    {[]zent{{Name: "../albedo.jpg", Data: noise(40_000, 11)}}, CodeUnsafePath},
	} {
		t.Run(name, func(t *testing.T) {
			_, zp, out := workspace(t, buildZip(tc.ents))
			if err := ExtractSet(ctx, zp, out, Limits{}, files); fault.CodeOf(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
}
