// Package codes is the failure vocabulary of every program, read from schemas/codes.json: each
// code's HTTP status where it has one, whether trying again may succeed, and the sentences the
// artist reads on the web and in Blender. The constants are generated from the file
// (codes_gen.go; go generate); a code that is not in the file cannot be spelled here, and
// TestNoCodeLiteralsOutsideTheFile keeps code strings out of every other Go file.
package codes

//go:generate go test -run TestGeneratedConstantsMatchTheFile -update .

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/octanebridge/octane-bridge/schemas"
)

// Code is one entry of schemas/codes.json.
type Code string

// Action is what fixes the failure on the site: a link and its label.
type Action struct {
	Label string `json:"label"`
	Href  string `json:"href"`
}

// BlenderAction is what fixes the failure in Blender: an add-on operator (bl_idname) or a web
// page, and the button's label.
type BlenderAction struct {
	Label    string `json:"label"`
	Operator string `json:"operator,omitempty"`
	URL      string `json:"url,omitempty"`
}

// Info is one entry of the file.
type Info struct {
	Code      Code     `json:"code"`
	From      []string `json:"from"`
	Status    int      `json:"status,omitempty"`
	Retryable bool     `json:"retryable"`
	Web       string   `json:"web,omitempty"`
	Blender   string   `json:"blender,omitempty"`
	Action    *Action  `json:"action,omitempty"`
	// BlenderAction is the add-on's button for the failure (the add-on reads it; Go keeps it so
	// the file decodes completely).
	BlenderAction *BlenderAction `json:"blender_action,omitempty"`
	ReportedAs    Code           `json:"reported_as,omitempty"`
	OnImport      *struct {
		Web    string  `json:"web"`
		Action *Action `json:"action,omitempty"`
	} `json:"on_import,omitempty"`
}

type file struct {
	Comment string `json:"$comment"`
	Codes   []Info `json:"codes"`
}

var (
	all   []Info
	index map[Code]int
)

func init() {
	var err error
	all, err = parse(schemas.Codes)
	if err != nil {
		panic("schemas/codes.json: " + err.Error())
	}
	index = make(map[Code]int, len(all))
	for i, c := range all {
		index[c.Code] = i
	}
}

func parse(b []byte) ([]Info, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	seen := map[Code]bool{}
	for _, c := range f.Codes {
		if seen[c.Code] {
			return nil, fmt.Errorf("%s listed twice", c.Code)
		}
		seen[c.Code] = true
	}
	return f.Codes, nil
}

// All is every entry, in the file's order.
func All() []Info { return slices.Clone(all) }

// Lookup finds a code given as a string (from the wire, the database or another program).
func Lookup(c string) (Info, bool) {
	i, ok := index[Code(c)]
	if !ok {
		return Info{}, false
	}
	return all[i], true
}

// Info is c's entry (the zero Info for a code not in the file, which no constant can be).
func (c Code) Info() Info {
	i, _ := Lookup(string(c))
	return i
}

// Status is the HTTP status of a code; codes without one answer as internal errors.
func (c Code) Status() int {
	if s := c.Info().Status; s != 0 {
		return s
	}
	return http.StatusInternalServerError
}

// Retryable says whether trying again later may succeed.
func (c Code) Retryable() bool { return c.Info().Retryable }

// Blender is the sentence the add-on shows for c ("" when it shows the program's own message).
func (c Code) Blender() string { return c.Info().Blender }

// From reports whether producer (edge, sql, import, bridge, ...) may produce c.
func (c Code) From(producer string) bool { return slices.Contains(c.Info().From, producer) }
