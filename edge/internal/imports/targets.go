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

// maxTargets bounds the cache; full, it starts again (a miss costs one more statement).
const maxTargets = 4096

// targets remembers the last resolution of each ask, so the edge can sign the token before the
// one statement that resolves again and writes (mint_import): a target that is no longer right
// is refused there and costs a second statement, never a wrong import.
type targets struct {
	mu sync.Mutex
	m  map[ask]target
}

func (c *targets) get(k ask) (target, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[k]
	return t, ok
}

func (c *targets) put(k ask, t target) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxTargets {
		c.m = make(map[ask]target)
	}
	c.m[k] = t
}
