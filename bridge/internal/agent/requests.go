package agent

import (
	"context"
	"errors"
	"regexp"

	"github.com/octanebridge/octane-bridge/bridge/internal/edgeclient"
	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/bridge/internal/importer"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// Requests from the add-on's panel that go to the edge with the device credential: a resolution
// switch or a version update of a material (request_import), and what the panel offers for a
// shader (shader_info). A request runs off the control loop; its answer carries the request's id.

var reSlug = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$`)

// linked is the link's pipeline and device session; nil when the bridge is not online-capable
// (unpaired, or before the first device token).
func (a *Agent) linked() (*importer.Pipeline, *edgeclient.Session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.bl.pipe, a.bl.sess
}

// onRequestImport asks the edge for an import of this Blender (POST /v1/device/imports), answers
// its id, and runs it like any import, telling Blender to change the named material in place.
func (a *Agent) onRequestImport(ctx context.Context, m stdio.Message) {
	var q stdio.RequestImport
	if !a.decode(m, &q) {
		return
	}
	if !reSlug.MatchString(q.Shader) || q.Material == "" ||
		(q.Purpose != stdio.ApplySwitch && q.Purpose != stdio.ApplyUpdate) {
		a.fail(m.ID, stdio.CodeMalformed, `request_import: shader, material and purpose "switch" or "update" are required`)
		return
	}
	pipe, sess := a.linked()
	if pipe == nil {
		a.notLinked(m.ID)
		return
	}
	go func() {
		req, err := a.client.RequestImport(ctx, sess, edgeclient.ImportAsk{Shader: q.Shader, Version: q.Version,
			Resolution: q.Resolution, Purpose: q.Purpose})
		if err != nil {
			a.refused(m.ID, "request_import", err)
			return
		}
		a.log.Info("import asked from Blender", "import_id", req.ImportID, "purpose", q.Purpose, "shader", q.Shader)
		// The answer first: the add-on learns the id before the import's first progress.
		a.send(stdio.TypeRequestImport, m.ID, stdio.RequestImported{ImportID: req.ImportID})
		pipe.Enqueue(importer.Request{ImportID: req.ImportID, Token: req.Token, ShaderID: req.ShaderID,
			ShaderName: req.ShaderName, Version: req.Version, Apply: stdio.Apply{Mode: q.Purpose, Material: q.Material}})
	}()
}

// onShaderInfo reads what the panel offers for a shader (GET /v1/device/shaders/{slug}).
func (a *Agent) onShaderInfo(ctx context.Context, m stdio.Message) {
	var q stdio.ShaderInfoRequest
	if !a.decode(m, &q) {
		return
	}
	if !reSlug.MatchString(q.Shader) {
		a.fail(m.ID, stdio.CodeMalformed, "shader_info: shader must be a shader's slug")
		return
	}
	_, sess := a.linked()
	if sess == nil {
		a.notLinked(m.ID)
		return
	}
	go func() {
		info, err := a.client.Shader(ctx, sess, q.Shader)
		if err != nil {
			a.refused(m.ID, "shader_info", err)
			return
		}
		out := stdio.ShaderInfo{Shader: info.Shader, Name: info.Name, Versions: info.Versions, Entitled: info.Entitled,
			TextureSets: make([]stdio.TextureSet, 0, len(info.TextureSets))}
		if info.LatestVersion != nil {
			out.LatestVersion = *info.LatestVersion
		}
		for _, s := range info.TextureSets {
			out.TextureSets = append(out.TextureSets, stdio.TextureSet{Resolution: s.Resolution, Size: s.Size})
		}
		a.send(stdio.TypeShaderInfo, m.ID, out)
	}()
}

// notLinked answers a request the bridge cannot take to the edge now: NOT_PAIRED when this machine
// has no device key, else NETWORK (paired, but the link is not up yet), so the artist is not told
// to connect a Blender that is connected.
func (a *Agent) notLinked(re string) {
	code := codes.Network
	if a.credential() == nil {
		code = codes.NotPaired
	}
	a.fail(re, code, code.Blender())
}

// refused answers a request the edge (or the network) refused with its code, in the words of
// schemas/codes.json where it has them.
func (a *Agent) refused(re, what string, err error) {
	if errors.Is(err, context.Canceled) {
		return // the bridge stops
	}
	code := fault.CodeOf(err)
	if code == "" {
		code = codes.InternalError
	}
	msg := code.Blender()
	if msg == "" {
		msg = fault.MessageOf(err)
	}
	a.log.Warn(what+" refused", "code", code, "err", err)
	a.isRevoked(err) // a revoked device: the add-on hears unpaired too
	a.fail(re, code, msg)
}
