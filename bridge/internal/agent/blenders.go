package agent

import (
	"context"
	"path/filepath"
	"regexp"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/edgeclient"
	"github.com/octanebridge/octane-bridge/bridge/internal/importer"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/periodic"
)

// Several Blenders on one machine share its pairing (one device key) and its device topic; each
// is its own import target, named by the add-on's per-session instance id. This bridge announces
// its Blender (instance_heartbeat: the open file, the version, a goodbye when it stops), takes
// only the imports addressed to its Blender or to the machine, and stops an import when the site
// or the artist cancels it.

// blenderState is this bridge's Blender: its instance id, the open file, the link's pipeline (for
// cancels from the add-on) and a poke for an early heartbeat. Guarded by Agent.mu.
type blenderState struct {
	instance  string
	blendFile string
	pipe      *importer.Pipeline
	sess      *edgeclient.Session // the link's device session (requests from the add-on use it)
	beat      chan struct{}
}

var reUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// instanceFor is the add-on's instance id; "" when it sends none (add-ons before several-Blender
// support): the bridge then works for the machine as before (no announcement, the imports
// addressed to no Blender or to one that is gone).
func instanceFor(h stdio.Hello) string {
	if reUUID.MatchString(h.InstanceID) {
		return h.InstanceID
	}
	return ""
}

// blendName keeps the file's name only: the folder says nothing the site needs.
func blendName(p string) string {
	if p == "" {
		return ""
	}
	return filepath.Base(filepath.FromSlash(p))
}

// forThisBlender says whether an import addressed to instance ("" = the machine) is this
// Blender's to take: its own, the machine's, or one of a Blender that is gone (running false:
// it quit or crashed, and a Blender opened since resumes what it left).
func (a *Agent) forThisBlender(instance string, running bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return instance == "" || instance == a.bl.instance || !running
}

// recheckEvery is how often a linked bridge lists its pending and unfinished imports besides
// (re)connects: an import of a Blender that crashed becomes takeable once that Blender has been
// silent for the online window, and a lost broadcast is found without a reconnect.
const recheckEvery = 2 * time.Minute

func (a *Agent) blender(quitting bool) edgeclient.Blender {
	a.mu.Lock()
	defer a.mu.Unlock()
	v := ""
	if a.hello != nil {
		v = a.hello.BlenderVersion
	}
	return edgeclient.Blender{BlendFile: a.bl.blendFile, Version: v, Quitting: quitting}
}

// onScene records the file now open and tells the site at once.
func (a *Agent) onScene(m stdio.Message) {
	var s stdio.Scene
	if !a.decode(m, &s) {
		return
	}
	a.mu.Lock()
	a.bl.blendFile = blendName(s.BlendFile)
	beat := a.bl.beat
	a.mu.Unlock()
	periodic.Poke(beat)
}

// onCancel stops an import the artist cancelled in Blender (queued or downloading).
func (a *Agent) onCancel(m stdio.Message) {
	var c stdio.Cancel
	if !a.decodeAbout(m, &c, &c.ImportID) {
		return
	}
	a.mu.Lock()
	pipe := a.bl.pipe
	a.mu.Unlock()
	if pipe == nil || !pipe.Cancel(c.ImportID, true) {
		a.log.Info("cancel for an import this bridge is not working on (ended, or in Blender already)", "import_id", c.ImportID)
	}
}

// useLink makes pipe the one cancels and Blender's requests go to and returns the heartbeat's
// poke channel.
func (a *Agent) useLink(pipe *importer.Pipeline, sess *edgeclient.Session) <-chan struct{} {
	beat := make(chan struct{}, 1)
	a.mu.Lock()
	a.bl.pipe, a.bl.sess, a.bl.beat = pipe, sess, beat
	a.mu.Unlock()
	return beat
}

// goodbye tells the site this Blender stops (best effort, briefly): the page shows it offline at
// once instead of after the heartbeat window.
func (a *Agent) goodbye(ctx context.Context, sess *edgeclient.Session) {
	a.mu.Lock()
	a.bl.pipe, a.bl.sess, a.bl.beat = nil, nil, nil
	a.mu.Unlock()
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := a.client.Heartbeat(gctx, sess, a.blender(true)); err != nil {
		a.log.Info("could not tell the site this Blender stops", "err", err)
	}
}
