package blendvet

import (
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

func TestJudgeCrossChecksManifest(t *testing.T) {
	p := &shaderpkg.Package{Manifest: shaderpkg.Manifest{ShaderID: "oak", Version: "1.0.0", MaterialName: "OB_Oak",
		Files: []shaderpkg.File{{Path: "textures/1k/a.png"}}}}
	var r report
	r.Materials = []string{"OB_Walnut"}
	r.Images = append(r.Images, struct {
		Name string `json:"name"`
		Path string `json:"path"`
	}{"a.png", "//textures/1k/a.png"}, struct {
		Name string `json:"name"`
		Path string `json:"path"`
	}{"b.png", "//textures/1k/b.png"})
	probs := judge(p, r)
	var got []string
	for _, pr := range probs {
		got = append(got, string(pr.Code))
		if !strings.HasPrefix(pr.String(), "oak@1.0.0: material.blend: ") {
			t.Errorf("problem does not name package and file: %s", pr)
		}
	}
	if s := strings.Join(got, ","); s != "MATERIAL_NAME,UNLISTED_TEXTURE" {
		t.Fatalf("codes %s", s)
	}
}

func TestVetWithoutBlender(t *testing.T) {
	_, err := Vetter{Blender: "/nonexistent/blender"}.Vet(t.Context(), []*shaderpkg.Package{{}})
	if err != ErrNoBlender {
		t.Fatalf("got %v", err)
	}
}

// A v2 package's images point at //textures/<name>, <name> a file of every set: no
// resolution in the path, nothing the sets do not hold.
func TestJudgeV2ImagePaths(t *testing.T) {
	files := []shaderpkg.File{{Path: "albedo.jpg"}, {Path: "normal.png"}}
	p := &shaderpkg.Package{Manifest: shaderpkg.Manifest{SchemaVersion: shaderpkg.SchemaVersionV2, ShaderID: "oak", Version: "1.1.0",
		MaterialName: "OB_Oak", TextureSets: []shaderpkg.TextureSet{{Resolution: "1k", Files: files}, {Resolution: "2k", Files: files}}}}
	var r report
	r.Materials = []string{"OB_Oak"}
	for _, path := range []string{"//textures/albedo.jpg", "//textures/normal.png", "//textures/2k/albedo.jpg", "//textures/rough.jpg", "//albedo.jpg"} {
		r.Images = append(r.Images, struct {
			Name string `json:"name"`
			Path string `json:"path"`
		}{path[2:], path})
	}
	var flagged []string
	for _, pr := range judge(p, r) {
		if pr.Code != codes.UnlistedTexture {
			t.Errorf("unexpected %s", pr)
		}
		flagged = append(flagged, pr.Datablock)
	}
	if got := strings.Join(flagged, ","); got != `image "textures/2k/albedo.jpg",image "textures/rough.jpg",image "albedo.jpg"` {
		t.Fatalf("flagged %s", got)
	}
}
