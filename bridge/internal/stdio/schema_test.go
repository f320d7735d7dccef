package stdio

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/schemas/schematest"
)

// bodies are the Go types of each message, by direction (schemas/stdio-to-*.schema.json).
var bodies = map[string]map[string]any{
	"stdio-to-bridge": {TypeHello: Hello{}, TypeStatus: nil, TypePair: Pair{}, TypeUnpair: nil, TypeCache: Cache{},
		TypeLibrary: Library{}, TypeImported: Imported{}, TypeImportFailed: ImportFailed{}, TypeShutdown: nil,
		TypeCancel: Cancel{}, TypeScene: Scene{}, TypeRequestImport: RequestImport{}, TypeShaderInfo: ShaderInfoRequest{}},
	"stdio-to-addon": {TypeHello: HelloReply{}, TypeStatus: Status{}, TypePairCode: PairCode{}, TypePaired: Paired{},
		TypeUnpaired: nil, TypeProgress: Progress{}, TypeImport: Import{}, TypeImportStatus: ImportStatus{},
		TypeCacheStats: CacheStats{}, TypeLibrary: LibraryList{}, TypeError: ErrorMsg{},
		TypeRequestImport: RequestImported{}, TypeShaderInfo: ShaderInfo{}},
}

// The examples of both stdio schemas pass the schema, parse, decode into their Go type with no
// field left over, and re-encode to the same JSON; every message type has a Go type and an
// example, and every Go type's fields are in the schema: the bridge and the schema agree (the
// add-on's tests check the same examples in Python).
func TestStdioExamplesRoundTrip(t *testing.T) {
	for dir, types := range bodies {
		s := schematest.Compile(t, dir)
		seen := map[string]bool{}
		for _, ex := range schematest.Examples(t, dir) {
			if err := schematest.Validate(t, s, ex.JSON); err != nil {
				t.Errorf("%s/%s: %v", dir, ex.Name, err)
			}
			line := bytes.Join(bytes.Fields(ex.JSON), []byte(" "))
			m, err := Parse(line)
			if err != nil {
				t.Fatalf("%s/%s: %v", dir, ex.Name, err)
			}
			proto, ok := types[m.Type]
			if !ok {
				t.Fatalf("%s/%s: type %q has no Go type", dir, ex.Name, m.Type)
			}
			seen[m.Type] = true
			var body any
			if proto != nil {
				p := reflect.New(reflect.TypeOf(proto))
				dec := json.NewDecoder(bytes.NewReader(stripEnvelope(t, ex.JSON)))
				dec.DisallowUnknownFields()
				if err := dec.Decode(p.Interface()); err != nil {
					t.Fatalf("%s/%s: %v", dir, ex.Name, err)
				}
				if err := m.Decode(p.Interface()); err != nil {
					t.Fatal(err)
				}
				body = p.Elem().Interface()
			}
			var env struct {
				Re string `json:"re"`
			}
			_ = json.Unmarshal(ex.JSON, &env)
			out, err := Encode(m.Type, env.Re, body)
			if err != nil {
				t.Fatal(err)
			}
			want := ex.JSON
			if m.ID != "" { // a request's id comes back as re in answers, not in the request itself
				want = stripKey(t, ex.JSON, "id")
			}
			if !schematest.SameJSON(t, out, want) {
				t.Errorf("%s/%s: re-encoded as %s", dir, ex.Name, out)
			}
			if err := schematest.Validate(t, s, out); err != nil {
				t.Errorf("%s/%s re-encoded: %v", dir, ex.Name, err)
			}
		}
		var doc struct {
			Properties struct {
				Type struct {
					Enum []string `json:"enum"`
				} `json:"type"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(schematest.Read(t, dir+".schema.json"), &doc); err != nil {
			t.Fatal(err)
		}
		for _, typ := range doc.Properties.Type.Enum {
			if _, ok := types[typ]; !ok {
				t.Errorf("%s: the schema's type %q has no Go type", dir, typ)
			}
		}
		if len(doc.Properties.Type.Enum) != len(types) {
			t.Errorf("%s: the schema names %d types, Go %d", dir, len(doc.Properties.Type.Enum), len(types))
		}
		for typ, proto := range types {
			if !seen[typ] {
				t.Errorf("%s: no example of %q", dir, typ)
			}
			if proto == nil {
				continue
			}
			props := schemaProps(t, dir, typ)
			rt := reflect.TypeOf(proto)
			for i := range rt.NumField() {
				name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
				if !slices.Contains(props, name) {
					t.Errorf("%s %s: %s.%s (%q) is not in the schema", dir, typ, rt.Name(), rt.Field(i).Name, name)
				}
			}
		}
	}
}

func stripEnvelope(t *testing.T, raw []byte) []byte {
	t.Helper()
	for _, k := range []string{"v", "type", "id", "re"} {
		raw = stripKey(t, raw, k)
	}
	return raw
}

func stripKey(t *testing.T, raw []byte, key string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, key)
	out, _ := json.Marshal(m)
	return out
}

// schemaProps lists the properties the schema names for one message type.
func schemaProps(t *testing.T, dir, typ string) []string {
	t.Helper()
	var doc struct {
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	b := schematest.Read(t, dir+".schema.json")
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range doc.Defs[typ].Properties {
		out = append(out, k)
	}
	return out
}

// The bridge reads an add-on line (Parse, then Decode into its type) as the schema does: it
// refuses, with MALFORMED or UNSUPPORTED_VERSION naming the field, every required field missing
// or null and every field of another JSON type, and ignores unknown keys.
func TestBridgeReaderAgreesWithTheSchema(t *testing.T) {
	read := func(b []byte) error {
		m, err := Parse(b)
		if err != nil {
			return err
		}
		proto, ok := bodies["stdio-to-bridge"][m.Type]
		if !ok {
			return &Error{Code: CodeUnknownType, Msg: "type " + m.Type}
		}
		if proto == nil {
			return nil
		}
		return m.Decode(reflect.New(reflect.TypeOf(proto)).Interface())
	}
	coded := func(err error) bool {
		var e *Error
		return errors.As(err, &e) && (e.Code == CodeMalformed || e.Code == CodeUnsupportedVersion || e.Code == CodeUnknownType)
	}
	if n := schematest.Agree(t, "stdio-to-bridge", read, coded); n < 100 {
		t.Fatalf("only %d refusals checked", n)
	}
}

// Decode requires the fields a struct does not mark omitempty; those must be exactly what the
// schema requires of an add-on message. The bridge's own messages must never omit a field the
// schema requires of them (the add-on's reader refuses such a line).
func TestRequiredFieldsAreTheSchemas(t *testing.T) {
	for dir, types := range bodies {
		var doc struct {
			Defs map[string]struct {
				Required []string `json:"required"`
			} `json:"$defs"`
		}
		if err := json.Unmarshal(schematest.Read(t, dir+".schema.json"), &doc); err != nil {
			t.Fatal(err)
		}
		for typ, proto := range types {
			var always []string
			if proto != nil {
				rt := reflect.TypeOf(proto)
				for i := range rt.NumField() {
					name, opts, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
					if !strings.Contains(opts, "omitempty") {
						always = append(always, name)
					}
				}
			}
			required := doc.Defs[typ].Required
			slices.Sort(always)
			slices.Sort(required)
			switch {
			case dir == "stdio-to-bridge" && !slices.Equal(always, required):
				t.Errorf("%s %s: Go requires %v, the schema %v", dir, typ, always, required)
			case dir == "stdio-to-addon":
				for _, f := range required {
					if !slices.Contains(always, f) {
						t.Errorf("%s %s: the schema requires %s, Go may omit it", dir, typ, f)
					}
				}
			}
		}
	}
}
