package blendvet

import (
	"strings"
	"testing"

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
	codes := []string{}
	for _, pr := range probs {
		codes = append(codes, pr.Code)
		if !strings.HasPrefix(pr.String(), "oak@1.0.0: material.blend: ") {
			t.Errorf("problem does not name package and file: %s", pr)
		}
	}
	got := strings.Join(codes, ",")
	if got != "MATERIAL_NAME,UNLISTED_TEXTURE" {
		t.Fatalf("codes %s", got)
	}
}

func TestVetWithoutBlender(t *testing.T) {
	_, err := Vetter{Blender: "/nonexistent/blender"}.Vet(t.Context(), []*shaderpkg.Package{{}})
	if err != ErrNoBlender {
		t.Fatalf("got %v", err)
	}
}
