package wire

import (
	"testing"

	"github.com/octanebridge/octane-bridge/schemas/schematest"
)

// Decode refuses exactly what the schemas refuse: a required field missing or null, a field of
// another JSON type; and, as the schemas say, ignores unknown keys.
func TestDecodeAgreesWithTheSchemas(t *testing.T) {
	uncoded := func(error) bool { return true } // the bridge only logs these (as MALFORMED): no code to check
	for schema, read := range map[string]func([]byte) error{
		"import_request":   func(b []byte) error { return Decode(b, new(ImportRequest)) },
		"import_cancelled": func(b []byte) error { return Decode(b, new(ImportCancelled)) },
	} {
		if n := schematest.Agree(t, schema, read, uncoded); n < 4 {
			t.Errorf("%s: only %d refusals checked", schema, n)
		}
	}
}
