package edgeclient

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"testing"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// A switch or update asked from Blender goes to POST /v1/device/imports with the device JWT and
// this Blender's instance, and comes back as the import_request the bridge redeems; the edge's
// refusals keep their codes. (The real edge answers the same in TestDeviceImportsAgainstTheStack.)
func TestRequestImportAndShaderInfoSpeakTheDeviceRoutes(t *testing.T) {
	var got map[string]string
	c := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer jwt" {
			t.Errorf("%s without the device JWT", r.URL.Path)
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "POST /v1/device/imports":
			b, _ := io.ReadAll(r.Body)
			got = nil
			_ = json.Unmarshal(b, &got)
			if got["shader"] == "nope" {
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"error":{"code":"NOT_FOUND","message":"no such shader","request_id":"r"}}`)
				return
			}
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"import_id":"i9","token":"oit1.k.p.m","shader_id":"s","version":"1.1.0","shader_name":"Oak Wood","shader_slug":"oak-wood","instance_id":"b1"}`)
		case "GET /v1/device/shaders/oak-wood":
			io.WriteString(w, `{"shader":"oak-wood","name":"Oak Wood","latest_version":"1.2.0","versions":["1.2.0","1.1.0"],
				"texture_sets":[{"resolution":"1k","size":10},{"resolution":"4k","size":99}],"entitled":true}`)
		default:
			http.NotFound(w, r)
		}
	})
	c.cfg.Instance = "b1"
	ctx := context.Background()
	s := c.NewSession("oct_live_key")
	req, err := c.RequestImport(ctx, s, ImportAsk{Shader: "oak-wood", Version: "1.1.0", Resolution: "4k", Purpose: "switch"})
	if err != nil || req.ImportID != "i9" || req.Token == "" || req.ShaderSlug != "oak-wood" {
		t.Fatalf("request: %+v, %v", req, err)
	}
	if want := map[string]string{"shader": "oak-wood", "version": "1.1.0", "resolution": "4k", "purpose": "switch", "blender": "b1"}; !maps.Equal(got, want) {
		t.Fatalf("body %v, want %v", got, want)
	}
	if _, err := c.RequestImport(ctx, s, ImportAsk{Shader: "oak-wood", Purpose: "update"}); err != nil || len(got) != 3 || got["version"] != "" {
		t.Fatalf("newest version, default resolution: body %v, %v", got, err)
	}
	if _, err := c.RequestImport(ctx, s, ImportAsk{Shader: "nope", Purpose: "update"}); fault.CodeOf(err) != codes.NotFound {
		t.Fatalf("refusal: %v", err)
	}
	info, err := c.Shader(ctx, s, "oak-wood")
	if err != nil || *info.LatestVersion != "1.2.0" || len(info.TextureSets) != 2 || info.TextureSets[1].Size != 99 || !info.Entitled || info.Name != "Oak Wood" {
		t.Fatalf("shader: %+v, %v", info, err)
	}
	if _, err := c.Shader(ctx, s, "gone"); fault.CodeOf(err) != codes.NotFound {
		t.Fatalf("unknown shader: %v", err)
	}
}
