// Package schematest validates JSON against the schemas under schemas/ and reads their examples,
// for tests (it is never linked into a program).
package schematest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"slices"
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

// Edit is one change the agreement walk makes to an example: Field (the key, or the array's
// key for an item) at Path made missing, null, of another JSON type, or an unknown key added.
type Edit struct {
	Path, Field, How string
	JSON             []byte
}

// unknownKey is the key the walk adds to every object.
const unknownKey = "zz_not_in_the_schema"

// Edits lists every edit of raw: each key of each object (nested objects and the first item of
// each array included) missing, null and of another JSON type, each array's first item null and
// of another type, and an unknown key in each object.
func Edits(t testing.TB, raw []byte) []Edit {
	t.Helper()
	var root any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	var out []Edit
	add := func(path []string, field, how string, set func(any)) {
		var doc any
		json.Unmarshal(raw, &doc)
		set(doc)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Edit{Path: strings.Join(path, "."), Field: field, How: how, JSON: b})
	}
	var walk func(v any, path []string, at func(doc any) any)
	walk = func(v any, path []string, at func(doc any) any) {
		switch v := v.(type) {
		case map[string]any:
			add(path, unknownKey, "unknown", func(doc any) { at(doc).(map[string]any)[unknownKey] = true })
			for k, child := range v {
				p := append(slices.Clone(path), k)
				add(p, k, "missing", func(doc any) { delete(at(doc).(map[string]any), k) })
				add(p, k, "null", func(doc any) { at(doc).(map[string]any)[k] = nil })
				add(p, k, "mistyped", func(doc any) { at(doc).(map[string]any)[k] = otherType(child) })
				walk(child, p, func(doc any) any { return at(doc).(map[string]any)[k] })
			}
		case []any:
			if len(v) == 0 {
				return
			}
			field := "(root)"
			if len(path) > 0 {
				field = path[len(path)-1]
			}
			p := append(slices.Clone(path), "0")
			add(p, field, "null", func(doc any) { at(doc).([]any)[0] = nil })
			add(p, field, "mistyped", func(doc any) { at(doc).([]any)[0] = otherType(v[0]) })
			walk(v[0], p, func(doc any) any { return at(doc).([]any)[0] })
		}
	}
	walk(root, nil, func(doc any) any { return doc })
	return out
}

// otherType is a value of another JSON type than v: a number for a string or null, a string
// otherwise.
func otherType(v any) any {
	switch v.(type) {
	case string, nil:
		return 7
	}
	return "7"
}

// Agree makes every edit of every example of schema name and wants read, the program's reader
// of that message, to refuse exactly what the schema refuses: a refusal the schema makes and
// the reader does not is a bad message the program would use, the reverse a good one it would
// drop. A refusal must name the edited field and satisfy coded (the project's code for it).
// It returns how many edits both refused.
func Agree(t testing.TB, name string, read func([]byte) error, coded func(error) bool) int {
	t.Helper()
	s := Compile(t, name)
	refused := 0
	for _, ex := range Examples(t, name) {
		for _, e := range Edits(t, ex.JSON) {
			what := fmt.Sprintf("%s: %s %s", ex.Name, e.Path, e.How)
			if e.How == "unknown" {
				what = fmt.Sprintf("%s: an unknown key in %q", ex.Name, e.Path)
			}
			schemaErr, readErr := Validate(t, s, e.JSON), read(e.JSON)
			switch {
			case schemaErr != nil && readErr == nil:
				t.Errorf("%s: the schema refuses it, the reader accepts it", what)
			case schemaErr == nil && readErr != nil:
				t.Errorf("%s: the schema accepts it, the reader refuses it: %v", what, readErr)
			case readErr != nil:
				refused++
				if !strings.Contains(readErr.Error(), e.Field) {
					t.Errorf("%s: refused with %q, which does not name %s", what, readErr, e.Field)
				}
				if !coded(readErr) {
					t.Errorf("%s: refused without the expected code: %v", what, readErr)
				}
			}
		}
	}
	return refused
}
