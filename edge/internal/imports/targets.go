package imports

import (
	"sync"

	"github.com/google/uuid"
)

// ask is what a mint asks for before resolution: whose import of which shader, and the version,
// device and Blender named, if any (zero: the database picks).
type ask struct {
	user, shader, device, instance uuid.UUID
	version                        string
}

// target is what an ask resolved to: everything the token and the device message carry.
type target struct {
	versionID, device uuid.UUID
	instance          *uuid.UUID
	version, sha      string
	name, slug        string
}

// The two halves of a target, remembered apart so that a user's first import of a shader still
// finds both: what a shader (and version) resolves to is the same for every user, where a user's
// imports go is the same for every shader.
type (
	shaderAsk struct {
		shader  uuid.UUID
		version string
	}
	shaderTarget struct {
		versionID                uuid.UUID
		version, sha, name, slug string
	}
	placeAsk    struct{ user, device, instance uuid.UUID }
	placeTarget struct {
		device   uuid.UUID
		instance *uuid.UUID
	}
)

// maxTargets bounds each half; full, it starts again (a miss costs one more statement).
const maxTargets = 4096

// targets remembers the last resolution of each shader and of each user's placement, so the
// edge can sign the token before the one statement that resolves again and writes (mint_import):
// a prediction that is no longer right is refused there and costs a second statement, never a
// wrong import.
type targets struct {
	mu      sync.Mutex
	shaders map[shaderAsk]shaderTarget
	places  map[placeAsk]placeTarget
}

func (c *targets) get(k ask) (target, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.shaders[shaderAsk{k.shader, k.version}]
	if !ok {
		return target{}, false
	}
	p, ok := c.places[placeAsk{k.user, k.device, k.instance}]
	if !ok {
		return target{}, false
	}
	return target{versionID: s.versionID, version: s.version, sha: s.sha, name: s.name, slug: s.slug,
		device: p.device, instance: p.instance}, true
}

func (c *targets) put(k ask, t target) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shaders == nil || len(c.shaders) >= maxTargets {
		c.shaders = make(map[shaderAsk]shaderTarget)
	}
	if c.places == nil || len(c.places) >= maxTargets {
		c.places = make(map[placeAsk]placeTarget)
	}
	c.shaders[shaderAsk{k.shader, k.version}] = shaderTarget{t.versionID, t.version, t.sha, t.name, t.slug}
	c.places[placeAsk{k.user, k.device, k.instance}] = placeTarget{t.device, t.instance}
}
