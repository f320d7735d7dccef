// Package blendvet vets the material.blend of shader packages in headless Blender before they
// are published: no Python that could run on open (text blocks registered as modules, scripted
// drivers, OSL script nodes), no datablocks beyond one material and its images, image paths that
// stay inside the package and exist in it, the Octane (ALL) and fallback (CYCLES, EEVEE)
// outputs present, and an Octane graph that OctaneBlender renders as built: checked against
// OctaneBlender's real node definitions (package octane) with its node classes stood in by
// probes. Blender runs with --factory-startup --disable-autoexec and opens each file with
// scripts disabled; the files are inspected, never rendered.
package blendvet

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg/octane"
)

//go:embed vet_blend.py
var vetScript []byte

// Problem is one reason a package is refused, in plain words.
type Problem struct {
	Code      codes.Code `json:"code"`      // a "vetting" code of schemas/codes.json
	Package   string     `json:"package"`   // shader_id@version, or the file name when unknown
	File      string     `json:"file"`      // path inside the package, e.g. material.blend
	Datablock string     `json:"datablock"` // e.g. `image "wood.png"`, empty when it concerns the file
	Message   string     `json:"message"`
}

func (p Problem) String() string {
	where := p.Package + ": " + p.File
	if p.Datablock != "" {
		where += ": " + p.Datablock
	}
	return where + ": " + p.Message + " [" + string(p.Code) + "]"
}

// Vetter runs Blender. The zero value uses "blender" from PATH and a 5-minute timeout.
type Vetter struct {
	Blender string
	Timeout time.Duration
	Stderr  io.Writer // Blender's own output; discarded when nil
}

// ErrNoBlender means the Blender executable could not be found.
var ErrNoBlender = errors.New("blendvet: blender not found (install Blender or set BLENDER)")

type report struct {
	File      string   `json:"file"`
	Materials []string `json:"materials"`
	Images    []struct {
		Name string `json:"name"`
		Path string `json:"path"`
	} `json:"images"`
	Problems []struct {
		Code      codes.Code `json:"code"`
		Datablock string     `json:"datablock"`
		Message   string     `json:"message"`
	} `json:"problems"`
}

// Vet extracts each package into a temporary folder and vets all of them in one Blender run.
// It returns the problems per package (same order); an error means vetting itself failed.
func (v Vetter) Vet(ctx context.Context, pkgs []*shaderpkg.Package) ([][]Problem, error) {
	return v.VetWithTextures(ctx, pkgs, nil)
}

// VetWithTextures is Vet where textures[i], when set, holds package i's texture files as flat
// names (a schema_version 2 package's largest set), laid out as textures/<name> beside its
// material.blend; a v2 image must point at //textures/<name> with <name> a file of every set.
func (v Vetter) VetWithTextures(ctx context.Context, pkgs []*shaderpkg.Package, textures []fs.FS) ([][]Problem, error) {
	if len(pkgs) == 0 {
		return nil, nil
	}
	bin := v.Blender
	if bin == "" {
		bin = "blender"
	}
	bin, err := exec.LookPath(bin)
	if err != nil {
		return nil, ErrNoBlender
	}
	tmp, err := os.MkdirTemp("", "blendvet-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	script := filepath.Join(tmp, "vet_blend.py")
	if err := os.WriteFile(script, vetScript, 0o600); err != nil {
		return nil, err
	}
	if err := octane.WriteScripts(tmp); err != nil {
		return nil, err
	}
	blends := make([]string, len(pkgs))
	for i, p := range pkgs {
		dir := filepath.Join(tmp, fmt.Sprintf("p%03d", i))
		var set fs.FS
		if i < len(textures) {
			set = textures[i]
		}
		if err := extract(p, set, dir); err != nil {
			return nil, fmt.Errorf("extract %s: %w", label(p), err)
		}
		blends[i] = filepath.Join(dir, shaderpkg.BlendPath)
	}
	out := filepath.Join(tmp, "report.json")
	timeout := v.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := append([]string{"-b", "--factory-startup", "-noaudio", "--disable-autoexec",
		"--python-exit-code", "1", "-P", script, "--", out}, blends...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1")
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if v.Stderr != nil {
		cmd.Stdout, cmd.Stderr = io.MultiWriter(&log, v.Stderr), io.MultiWriter(&log, v.Stderr)
	}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("blendvet: blender failed: %v: %s", err, tail(log.String(), 800))
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("blendvet: no report from blender: %v: %s", err, tail(log.String(), 800))
	}
	var reps []report
	if err := json.Unmarshal(raw, &reps); err != nil || len(reps) != len(pkgs) {
		return nil, fmt.Errorf("blendvet: unreadable report (%v)", err)
	}
	res := make([][]Problem, len(pkgs))
	for i, p := range pkgs {
		res[i] = judge(p, reps[i])
	}
	return res, nil
}

// judge turns a Blender report into problems and cross-checks it against the manifest.
func judge(p *shaderpkg.Package, r report) []Problem {
	var out []Problem
	add := func(code codes.Code, db, msg string) {
		out = append(out, Problem{Code: code, Package: label(p), File: shaderpkg.BlendPath, Datablock: db, Message: msg})
	}
	for _, pr := range r.Problems {
		add(pr.Code, pr.Datablock, pr.Message)
	}
	if len(r.Materials) == 1 && r.Materials[0] != p.Manifest.MaterialName {
		add(codes.MaterialName, `material "`+r.Materials[0]+`"`,
			fmt.Sprintf("manifest.json says the material is called %q", p.Manifest.MaterialName))
	}
	v2 := p.Manifest.SchemaVersion == shaderpkg.SchemaVersionV2
	for _, img := range r.Images {
		rel, ok := strings.CutPrefix(img.Path, "//")
		if !ok {
			continue // already reported by the script
		}
		if v2 {
			// One path for every resolution: the bridge points textures/ at the chosen set.
			name, inTextures := strings.CutPrefix(rel, shaderpkg.TexturesDir+"/")
			if !inTextures || !slices.Contains(p.Manifest.SetFileNames(), name) {
				add(codes.UnlistedTexture, `image "`+img.Name+`"`, "uses "+rel+"; images must be //textures/<name> with <name> a file of every texture set ("+strings.Join(p.Manifest.SetFileNames(), " ")+")")
			}
			continue
		}
		if _, listed := p.Manifest.File(rel); !listed && shaderpkg.CheckEntryPath(rel) == nil && strings.HasPrefix(rel, "textures/") {
			add(codes.UnlistedTexture, `image "`+img.Name+`"`, "uses "+rel+", which manifest.json does not list")
		}
	}
	return out
}

// extract writes the package's listed files under dir through os.Root, so no entry can land
// outside it even if validation were bypassed, and the set's files (a v2 package's) under
// dir/textures/.
func extract(p *shaderpkg.Package, set fs.FS, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range p.Manifest.Files {
		if d := filepath.Dir(filepath.FromSlash(f.Path)); d != "." {
			if err := root.MkdirAll(d, 0o700); err != nil {
				return err
			}
		}
		data, err := p.ReadFile(f.Path)
		if err != nil {
			return err
		}
		if err := root.WriteFile(filepath.FromSlash(f.Path), data, 0o600); err != nil {
			return err
		}
	}
	if set == nil || p.Manifest.SchemaVersion != shaderpkg.SchemaVersionV2 {
		return nil
	}
	if err := root.MkdirAll(shaderpkg.TexturesDir, 0o700); err != nil {
		return err
	}
	for _, name := range p.Manifest.SetFileNames() {
		data, err := fs.ReadFile(set, name)
		if err != nil {
			return err
		}
		if err := root.WriteFile(filepath.Join(shaderpkg.TexturesDir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func label(p *shaderpkg.Package) string {
	return p.Manifest.ShaderID + "@" + p.Manifest.Version
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
