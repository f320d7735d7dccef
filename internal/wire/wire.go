// Package wire holds the messages that one program sends another through a third (the edge or
// the database to the bridge over Realtime), so that sender and receiver share one definition. Each has a JSON
// Schema under schemas/ with examples that the Go and the Python tests both check.
package wire

import (
	"encoding/json"
	"fmt"

	"github.com/octanebridge/octane-bridge/internal/jsonkeys"
)

// ImportRequestEvent is the Realtime event name on the topic device:<device_id>.
const ImportRequestEvent = "import_request"

// ImportRequest is the edge's broadcast to one Blender (schemas/import_request.schema.json): the
// edge sends it in the transaction that creates the import, the bridge redeems its token.
type ImportRequest struct {
	ImportID   string `json:"import_id"`
	Token      string `json:"token"`
	ShaderID   string `json:"shader_id"`
	Version    string `json:"version"`
	ShaderName string `json:"shader_name"`
	ShaderSlug string `json:"shader_slug"`
	// InstanceID names the one Blender of the machine the import is for ("" = any of them).
	InstanceID string `json:"instance_id,omitempty"`
}

// ImportCancelledEvent is the Realtime event on device:<device_id> when one of its imports was
// cancelled (sent by the imports_broadcast trigger, whoever cancelled).
const ImportCancelledEvent = "import_cancelled"

// ImportCancelled is that event's payload (schemas/import_cancelled.schema.json): the bridge
// working on the import stops.
type ImportCancelled struct {
	ImportID   string  `json:"import_id"`
	InstanceID *string `json:"instance_id" jsonkeys:"optional"`
}

// Decode reads one message into v (a pointer to ImportRequest or ImportCancelled) as its schema
// reads it: every field the type requires present and not null, each of its JSON type; unknown
// fields are ignored (newer senders may add some). The error names the field.
func Decode(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return err
	}
	if err := jsonkeys.Check(raw, v); err != nil {
		return fmt.Errorf("%T: %w", v, err)
	}
	return nil
}
