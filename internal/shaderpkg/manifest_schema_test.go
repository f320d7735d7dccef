package shaderpkg

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/schemas/schematest"
)

// The examples of schemas/manifest.schema.json (v1 and v2) pass the schema, parse, and
// re-encode to the same JSON; the edits each version forbids fail both the schema and
// ParseManifest, so the two agree on what separates the versions.
func TestManifestExamples(t *testing.T) {
	s := schematest.Compile(t, "manifest")
	seen := map[int]bool{}
	for _, ex := range schematest.Examples(t, "manifest") {
		if err := schematest.Validate(t, s, ex.JSON); err != nil {
			t.Errorf("%s: %v", ex.Name, err)
		}
		m, err := ParseManifest(ex.JSON)
		if err != nil {
			t.Fatalf("%s: %v", ex.Name, err)
		}
		seen[m.SchemaVersion] = true
		if out := mustJSON(m); !schematest.SameJSON(t, out, ex.JSON) {
			t.Errorf("%s: re-encoded as %s", ex.Name, out)
		}
		hostile := map[string]func(map[string]any){
			"other version":         func(m map[string]any) { m["schema_version"] = 3 - m["schema_version"].(float64) },
			"both versions' fields": func(m map[string]any) { m["texture_resolutions"], m["texture_sets"] = []any{}, []any{} },
			"unknown field":         func(m map[string]any) { m["evil"] = true },
			"texture in the base v2": func(m map[string]any) {
				if m["schema_version"].(float64) == 2 {
					m["files"] = append(m["files"].([]any), map[string]any{"path": "textures/1k/a.png", "sha256": hexOf('a'), "size": 1})
				} else {
					m["files"] = append(m["files"].([]any), map[string]any{"path": "../a.png", "sha256": hexOf('a'), "size": 1})
				}
			},
		}
		for name, edit := range hostile {
			var raw map[string]any
			json.Unmarshal(ex.JSON, &raw)
			edit(raw)
			b := mustJSON(raw)
			if schematest.Validate(t, s, b) == nil {
				t.Errorf("%s: the schema accepts %s", ex.Name, name)
			}
			if _, err := ParseManifest(b); err == nil {
				t.Errorf("%s: ParseManifest accepts %s", ex.Name, name)
			}
		}
	}
	if !seen[1] || !seen[2] {
		t.Fatalf("want examples of both schema versions, have %v", seen)
	}
}

// Every field the schema requires of a version is required by ParseManifest too: a manifest
// without it, or with it null, fails both (a v1 manifest without texture_resolutions once parsed
// in Go and failed later, in the database, as a NOT NULL violation instead of MANIFEST_INVALID).
func TestManifestRequiredFieldsAgreeWithTheSchema(t *testing.T) {
	s := schematest.Compile(t, "manifest")
	var doc struct {
		Defs map[string]struct {
			Required []string `json:"required"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(schematest.Read(t, "manifest.schema.json"), &doc); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, ex := range schematest.Examples(t, "manifest") {
		var raw map[string]any
		if err := json.Unmarshal(ex.JSON, &raw); err != nil {
			t.Fatal(err)
		}
		version := fmt.Sprintf("v%d", int(raw["schema_version"].(float64)))
		required := doc.Defs[version].Required
		if len(required) < 5 {
			t.Fatalf("%s: the schema's %s lists only %v as required", ex.Name, version, required)
		}
		for _, field := range required {
			for _, how := range []string{"missing", "null"} {
				var m map[string]any
				json.Unmarshal(ex.JSON, &m)
				if how == "missing" {
					delete(m, field)
				} else {
					m[field] = nil
				}
				b := mustJSON(m)
				if schematest.Validate(t, s, b) == nil {
					t.Errorf("%s: the schema accepts %s %s", ex.Name, field, how)
				}
				if _, err := ParseManifest(b); err == nil {
					t.Errorf("%s: ParseManifest accepts %s %s", ex.Name, field, how)
				} else if code := CodeOf(err); code != CodeManifestInvalid && code != CodeManifestSyntax || !strings.Contains(err.Error(), field) {
					t.Errorf("%s: %s %s refused with %s %q, want a manifest code naming the field", ex.Name, field, how, code, err)
				}
				checked++
			}
		}
	}
	if checked < 40 {
		t.Fatalf("only %d cases checked", checked)
	}
}
