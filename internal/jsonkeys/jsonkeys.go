// Package jsonkeys checks what encoding/json cannot: that a JSON object carries the keys its Go
// type requires, and no null where the type has no null. Decoding a missing key and a null both
// leave the zero value, which a reader cannot tell from a sender's "" or 0; the JSON Schemas
// under schemas/ refuse both.
package jsonkeys

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Check reports the first key of raw (a JSON object of v's type) that v's type requires and raw
// lacks or holds null. A field is required unless its json tag says omitempty or it is tagged
// jsonkeys:"optional" (a field the sender always writes, the reader may go without); null is
// allowed only for a pointer field, or one tagged jsonkeys:"nullable". Nested structs, pointers to them
// and slices of them are checked too. skip names top-level keys the caller checks itself (one
// version's fields in a type shared by two). raw must already decode into v's type.
func Check(raw []byte, v any, skip ...string) error {
	if err := check(raw, reflect.TypeOf(v), "", skip); err != nil {
		return err
	}
	return nil
}

// Error names the key (its path: "files[0].size") and what is wrong with it.
type Error struct {
	Path, Problem string
}

func (e *Error) Error() string { return e.Path + " " + e.Problem }

func check(raw []byte, t reflect.Type, path string, skip []string) *Error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil // null or not an array: decoding says so
		}
		for i, item := range items {
			p := fmt.Sprintf("%s[%d]", path, i)
			if isNull(item) && t.Elem().Kind() != reflect.Pointer {
				return &Error{p, "must not be null"}
			}
			if err := check(item, t.Elem(), p, nil); err != nil {
				return err
			}
		}
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil || obj == nil {
			return nil
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" || name == "" || slices.Contains(skip, name) {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			val, ok := obj[name]
			switch {
			case !ok && !strings.Contains(opts, "omitempty") && f.Tag.Get("jsonkeys") != "optional":
				return &Error{p, "is required"}
			case !ok:
			case isNull(val) && f.Type.Kind() != reflect.Pointer && f.Tag.Get("jsonkeys") != "nullable":
				return &Error{p, "must not be null"}
			default:
				if err := check(val, f.Type, p, nil); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }
