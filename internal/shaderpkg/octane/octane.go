// Package octane carries OctaneBlender's node definitions (octane-nodes.json, facts extracted
// from OctaneBlender's public add-on source) and the Blender-side Python that uses them: probe
// classes that make a stock Blender bind Octane nodes as OctaneBlender would
// (octane_probe.py), and the Octane graph validator (octane_check.py), which spells its codes
// through codes.py from schemas/codes.json. The publisher's vetting writes these files and
// codes.json next to its Blender script; the catalog generator and the add-on's tests import them
// from this folder.
package octane

import (
	"embed"
	"os"
	"path/filepath"

	"github.com/octanebridge/octane-bridge/schemas"
)

//go:embed octane-nodes.json octane_facts.py octane_probe.py octane_check.py codes.py
var files embed.FS

// WriteScripts writes the facts, the Python modules and the failure vocabulary (codes.json, which
// codes.py reads) into dir, for a Blender run.
func WriteScripts(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, "codes.json"), schemas.Codes, 0o600); err != nil {
		return err
	}
	entries, err := files.ReadDir(".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
