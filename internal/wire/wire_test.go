package wire

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/octanebridge/octane-bridge/schemas/schematest"
)

// The examples of schemas/import_request.schema.json round-trip through ImportRequest.
func TestImportRequestExamples(t *testing.T) {
	roundTrip[ImportRequest](t, "import_request")
	s := schematest.Compile(t, "import_request")
	// A request without its token is not one.
	if schematest.Validate(t, s, []byte(`{"import_id":"7f0c2a4e-3b1d-4c5e-9a8f-1e2d3c4b5a69","shader_id":"x"}`)) == nil {
		t.Fatal("the schema accepts an incomplete request")
	}
}

// The same for the device topic's import_cancelled.
func TestImportCancelledExamples(t *testing.T) {
	roundTrip[ImportCancelled](t, "import_cancelled")
}

// roundTrip: the schema's examples decode into T with no field left over, re-encode to the same
// JSON, and pass the schema: the struct and the schema agree.
func roundTrip[T any](t *testing.T, schema string) {
	t.Helper()
	s := schematest.Compile(t, schema)
	for _, ex := range schematest.Examples(t, schema) {
		if err := schematest.Validate(t, s, ex.JSON); err != nil {
			t.Errorf("%s: %v", ex.Name, err)
		}
		var r T
		dec := json.NewDecoder(bytes.NewReader(ex.JSON))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s: %v", ex.Name, err)
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if !schematest.SameJSON(t, out, ex.JSON) {
			t.Errorf("%s: re-encoded as %s", ex.Name, out)
		}
		if err := schematest.Validate(t, s, out); err != nil {
			t.Errorf("%s re-encoded: %v", ex.Name, err)
		}
	}
}
