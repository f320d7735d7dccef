package shaderpkg

import (
	"encoding/json"
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

// ParseManifest refuses exactly what the schema refuses: every field of every example missing,
// null or of another type, and an unknown key anywhere, with a manifest code naming the field (a
// v1 manifest without texture_resolutions once parsed in Go and failed later, in the database, as
// a NOT NULL violation instead of MANIFEST_INVALID).
func TestManifestReaderAgreesWithTheSchema(t *testing.T) {
	read := func(b []byte) error { _, err := ParseManifest(b); return err }
	coded := func(err error) bool { c := CodeOf(err); return c == CodeManifestInvalid || c == CodeManifestSyntax }
	if n := schematest.Agree(t, "manifest", read, coded); n < 100 {
		t.Fatalf("only %d refusals checked", n)
	}
}
