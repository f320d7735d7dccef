// Package schematest validates JSON against the schemas under schemas/ and reads their examples,
// for tests (it is never linked into a program).
package schematest

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/octanebridge/octane-bridge/schemas"
)

const base = "https://octanebridge.dev/schemas/"

// Compile compiles schemas/<name>.schema.json, or a part of it ("stdio-to-addon#/$defs/hello").
func Compile(t testing.TB, name string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	files, err := fs.Glob(schemas.Files, "*.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, _ := fs.ReadFile(schemas.Files, f)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := c.AddResource(base+f, doc); err != nil {
			t.Fatal(err)
		}
	}
	file, frag, _ := strings.Cut(name, "#")
	url := base + file + ".schema.json"
	if frag != "" {
		url += "#" + frag
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// Validate checks raw JSON against s.
func Validate(t testing.TB, s *jsonschema.Schema, raw []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// Example is one example message: its file name and bytes.
type Example struct {
	Name string
	JSON []byte
}

// Examples reads schemas/examples/<name>/*.json (at least one, or the test fails).
func Examples(t testing.TB, name string) []Example {
	t.Helper()
	paths, err := fs.Glob(schemas.Files, path.Join("examples", name, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples for %s (%v)", name, err)
	}
	var out []Example
	for _, p := range paths {
		b, err := fs.ReadFile(schemas.Files, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Example{Name: path.Base(p), JSON: b})
	}
	return out
}

// SameJSON reports whether a and b hold the same JSON value (key order and spacing aside).
func SameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// Read returns one file of schemas/ ("stdio-to-addon.schema.json").
func Read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(schemas.Files, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
