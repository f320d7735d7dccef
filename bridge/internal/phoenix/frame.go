package phoenix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Vsn is the serializer this client speaks: Phoenix V1 JSON objects. Every frame, both ways, is
// one self-describing JSON text message; V2 would add positional arrays and binary broadcast
// frames (kinds 3/4) that the bridge gains nothing from. Real Realtime and the stand-in accept both.
const Vsn = "1.0.0"

// MaxFrame bounds one incoming frame; broadcasts to a device are small.
const MaxFrame = 1 << 20

// Frame is one Phoenix message.
type Frame struct {
	JoinRef *string         `json:"join_ref"`
	Ref     *string         `json:"ref"`
	Topic   string          `json:"topic"`
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"`
}

// DecodeFrame parses a V1 frame ({"topic","event","payload","ref","join_ref"}). A V2 text frame
// ([join_ref, ref, topic, event, payload]) is accepted too, so a proxy that rewrites vsn cannot
// confuse the client. Refs may be strings, numbers or null.
func DecodeFrame(b []byte) (Frame, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Frame{}, errors.New("phoenix: empty frame")
	}
	if len(b) > MaxFrame {
		return Frame{}, errors.New("phoenix: frame too large")
	}
	var raw struct {
		JoinRef json.RawMessage `json:"join_ref"`
		Ref     json.RawMessage `json:"ref"`
		Topic   *string         `json:"topic"`
		Event   *string         `json:"event"`
		Payload json.RawMessage `json:"payload"`
	}
	switch b[0] {
	case '{':
		if err := json.Unmarshal(b, &raw); err != nil {
			return Frame{}, fmt.Errorf("phoenix: frame: %w", err)
		}
	case '[':
		var arr []json.RawMessage
		if err := json.Unmarshal(b, &arr); err != nil {
			return Frame{}, fmt.Errorf("phoenix: frame: %w", err)
		}
		if len(arr) < 5 {
			return Frame{}, errors.New("phoenix: array frame needs 5 elements")
		}
		raw.JoinRef, raw.Ref, raw.Payload = arr[0], arr[1], arr[4]
		if err := json.Unmarshal(arr[2], &raw.Topic); err != nil {
			return Frame{}, errors.New("phoenix: topic is not a string")
		}
		if err := json.Unmarshal(arr[3], &raw.Event); err != nil {
			return Frame{}, errors.New("phoenix: event is not a string")
		}
	default:
		return Frame{}, errors.New("phoenix: frame is not a JSON object or array")
	}
	if raw.Topic == nil || raw.Event == nil || *raw.Event == "" {
		return Frame{}, errors.New("phoenix: frame lacks topic or event")
	}
	f := Frame{Topic: *raw.Topic, Event: *raw.Event}
	var err error
	if f.JoinRef, err = decodeRef(raw.JoinRef); err != nil {
		return Frame{}, err
	}
	if f.Ref, err = decodeRef(raw.Ref); err != nil {
		return Frame{}, err
	}
	p := bytes.TrimSpace(raw.Payload)
	if len(p) == 0 || bytes.Equal(p, []byte("null")) {
		p = []byte("{}")
	}
	f.Payload = json.RawMessage(p)
	return f, nil
}

func decodeRef(m json.RawMessage) (*string, error) {
	m = bytes.TrimSpace(m)
	if len(m) == 0 || bytes.Equal(m, []byte("null")) {
		return nil, nil
	}
	var s string
	if m[0] == '"' {
		if err := json.Unmarshal(m, &s); err != nil {
			return nil, errors.New("phoenix: bad ref")
		}
		return &s, nil
	}
	var n json.Number
	if err := json.Unmarshal(m, &n); err != nil {
		return nil, errors.New("phoenix: ref is neither a string nor a number")
	}
	s = n.String()
	return &s, nil
}

// Encode writes f as a V1 frame.
func (f Frame) Encode() []byte {
	if len(f.Payload) == 0 {
		f.Payload = json.RawMessage("{}")
	}
	b, _ := json.Marshal(f) // fields are strings and valid raw JSON: cannot fail
	return b
}

// reply is a phx_reply payload.
type reply struct {
	Status   string          `json:"status"`
	Response json.RawMessage `json:"response"`
}

// reason digs the human reason out of an error reply ({"reason": "..."}).
func (r reply) reason() string {
	var v struct {
		Reason string `json:"reason"`
	}
	if json.Unmarshal(r.Response, &v) == nil && v.Reason != "" {
		return v.Reason
	}
	if len(r.Response) > 0 && len(r.Response) < 300 {
		return string(r.Response)
	}
	return "join refused"
}

// broadcastPayload is the payload of a "broadcast" event.
type broadcastPayload struct {
	Type    string          `json:"type"`
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"`
}

// systemPayload is Realtime's "system" event: extension status notes and errors.
type systemPayload struct {
	Channel   string `json:"channel"`
	Extension string `json:"extension"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}
