package agent

import (
	"context"
	"path/filepath"
	"regexp"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// The add-on names a library import; the prefix keeps it apart from the edge's import ids.
var reLibraryImportID = regexp.MustCompile(`^library-[A-Za-z0-9-]{1,56}$`)

// onLibrary lists the local library or applies one of its entries. Neither touches the network:
// an entry is checked against the signed delivery kept with it and handed to Blender through the
// same import message as a download, so it works unpaired, offline and with the edge down.
func (a *Agent) onLibrary(ctx context.Context, re string, m stdio.Message) {
	var l stdio.Library
	if !a.decode(m, &l) {
		return
	}
	if l.Action != "list" && l.Action != "apply" {
		a.fail(re, stdio.CodeMalformed, `library: action must be "list" or "apply"`)
		return
	}
	if l.Action == "list" {
		entries, err := a.library.List()
		if err != nil {
			a.fail(re, codes.CacheError, "cannot read the local library: "+err.Error())
			return
		}
		out := stdio.LibraryList{Entries: make([]stdio.LibraryEntry, 0, len(entries))}
		for _, e := range entries {
			out.Entries = append(out.Entries, stdio.LibraryEntry{SHA256: e.SHA256, Resolution: e.Resolution, ShaderID: e.ShaderID, Version: e.Version,
				Name: e.Name, MaterialName: e.MaterialName, PreviewPath: e.Preview, Resolutions: append([]string{}, e.Resolutions...),
				MinBlender: e.MinBlender, MinOctane: e.MinOctane, Bytes: e.Bytes, UsedAt: e.UsedAt.Unix()})
		}
		a.send(stdio.TypeLibrary, re, out)
		return
	}
	if !reLibraryImportID.MatchString(l.ImportID) || l.SHA256 == "" {
		a.fail(re, stdio.CodeMalformed, "library apply: sha256 and an import_id library-<id> are required")
		return
	}
	go a.applyLibrary(ctx, re, l)
}

func (a *Agent) applyLibrary(ctx context.Context, re string, l stdio.Library) {
	status := stdio.ImportStatus{ImportID: l.ImportID, Status: "done"}
	e, unpin, err := a.library.Open(ctx, l.SHA256, l.Resolution)
	if err == nil {
		defer unpin()
		imp := stdio.Import{ImportID: l.ImportID, ShaderID: e.ShaderID, Version: e.Version, ShaderName: e.Name,
			MaterialName: e.MaterialName, BlendPath: filepath.Join(e.Dir, "material.blend"), PackageDir: e.Dir,
			Apply: stdio.Apply{Mode: stdio.ApplyAssign}}
		if e.TexturesDir != "" {
			imp.TexturesDir, imp.Resolution = &e.TexturesDir, &e.Resolution
		}
		_, err = a.Import(ctx, imp)
	}
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		a.log.Warn("library import failed", "import_id", l.ImportID, "sha256", l.SHA256, "err", err)
		status = stdio.ImportStatus{ImportID: l.ImportID, Status: "failed", Code: fault.CodeOf(err), Message: fault.MessageOf(err)}
	}
	a.send(stdio.TypeImportStatus, re, status)
}
