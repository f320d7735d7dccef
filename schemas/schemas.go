// Package schemas embeds the contract files shared by the Go programs, the add-on and the site:
// the failure vocabulary (codes.json) and the JSON Schemas of the messages that cross a program
// boundary, with example messages (examples/<schema>/*.json) that the Go and the Python tests
// both decode, re-encode and validate. The files are the source; Go reads them from here.
package schemas

import "embed"

// Codes is codes.json, the one failure vocabulary (read through internal/codes).
//
//go:embed codes.json
var Codes []byte

// Files holds every schema (<name>.schema.json) and its examples (examples/<name>/*.json).
//
//go:embed *.schema.json examples
var Files embed.FS
