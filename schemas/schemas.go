// Package schemas embeds the contract files shared by the Go programs, the add-on and the site:
// the failure vocabulary (codes.json) and the JSON Schemas of the messages that cross a program
// boundary. The files are the source; Go reads them from here.
package schemas

import _ "embed"

// Codes is codes.json, the one failure vocabulary (read through internal/codes).
//
//go:embed codes.json
var Codes []byte
