package agent

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/octanebridge/octane-bridge/bridge/internal/importer"
	"github.com/octanebridge/octane-bridge/internal/wire"
)

// Threat 13: a Realtime import_request is a thin notification. The bridge reads only the import
// id, the opaque token and display fields from it; nothing in it can name a URL, a path, a
// delivery or a hash (those come only from the edge's redeem answer, signed), and neither the
// message nor the pipeline's request has a field that could carry one.
func TestImportRequestCarriesNothingTheBridgeActsOn(t *testing.T) {
	allowed := []string{"ImportID", "Token", "ShaderID", "Version", "ShaderName", "ShaderSlug", "InstanceID"} // InstanceID routes it among the machine's Blenders
	for _, typ := range []reflect.Type{reflect.TypeOf(wire.ImportRequest{}), reflect.TypeOf(importer.Request{})} {
		for i := range typ.NumField() {
			// Resume, Received and Apply are set locally (by the catch-up, Enqueue, and the add-on's
			// own request_import), never decoded from Realtime.
			if f := typ.Field(i); !slices.Contains(allowed, f.Name) && f.Name != "Resume" && f.Name != "Received" && f.Name != "Apply" {
				t.Errorf("%s.%s: a Realtime message must not carry what the bridge downloads or opens", typ, f.Name)
			}
		}
	}
	hostile := `{"import_id":"i1","token":"oit1.x","shader_id":"s","version":"1.0.0","shader_name":"Steel",
		"download_url":"http://evil.example/pkg.zip","delivery":{"payload":"x","sig":"y"},"sha256":"00","blend_path":"/etc/passwd",
		"package_dir":"/","trusted_keys":"evil:AAAA"}`
	var r wire.ImportRequest
	if err := json.Unmarshal([]byte(hostile), &r); err != nil {
		t.Fatal(err)
	}
	if r != (wire.ImportRequest{ImportID: "i1", Token: "oit1.x", ShaderID: "s", Version: "1.0.0", ShaderName: "Steel"}) {
		t.Fatalf("read %+v", r)
	}
}
