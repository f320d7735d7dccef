// Package realtime is the stand-in's Supabase Realtime: Phoenix channels over WebSocket at
// /realtime/v1/websocket (serializer vsn 1.0.0 JSON objects and 2.0.0 JSON arrays plus the binary
// user-broadcast frames), broadcast with self/ack, private channels authorised by RLS on
// realtime.messages, and delivery of realtime.send() messages through LISTEN/NOTIFY.
package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Serializer versions.
const (
	V1 = "1.0.0"
	V2 = "2.0.0"
)

// Message is one Phoenix message. Refs are nil when absent or JSON null.
type Message struct {
	JoinRef *string
	Ref     *string
	Topic   string
	Event   string
	Payload json.RawMessage
}

// ErrFrame is a frame the decoder cannot accept.
var ErrFrame = errors.New("realtime: malformed frame")

func refString(raw json.RawMessage) (*string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return &s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		s := n.String()
		return &s, nil
	}
	return nil, fmt.Errorf("%w: ref must be a string", ErrFrame)
}

func checkPayload(p json.RawMessage) (json.RawMessage, error) {
	p = bytes.TrimSpace(p)
	if len(p) == 0 || p[0] != '{' {
		return nil, fmt.Errorf("%w: payload must be an object", ErrFrame)
	}
	return p, nil
}

// DecodeText parses a text frame of the given serializer version.
func DecodeText(vsn string, data []byte) (Message, error) {
	var m Message
	if vsn == V2 {
		var arr []json.RawMessage
		if err := json.Unmarshal(data, &arr); err != nil || len(arr) < 5 {
			return m, fmt.Errorf("%w: want [join_ref, ref, topic, event, payload]", ErrFrame)
		}
		var err error
		if m.JoinRef, err = refString(arr[0]); err != nil {
			return m, err
		}
		if m.Ref, err = refString(arr[1]); err != nil {
			return m, err
		}
		if json.Unmarshal(arr[2], &m.Topic) != nil || json.Unmarshal(arr[3], &m.Event) != nil {
			return m, fmt.Errorf("%w: topic and event must be strings", ErrFrame)
		}
		if m.Payload, err = checkPayload(arr[4]); err != nil {
			return m, err
		}
	} else {
		var obj struct {
			Topic   *string         `json:"topic"`
			Event   *string         `json:"event"`
			Payload json.RawMessage `json:"payload"`
			Ref     json.RawMessage `json:"ref"`
			JoinRef json.RawMessage `json:"join_ref"`
		}
		if err := json.Unmarshal(data, &obj); err != nil || obj.Topic == nil || obj.Event == nil {
			return m, fmt.Errorf("%w: want {topic, event, payload, ref}", ErrFrame)
		}
		m.Topic, m.Event = *obj.Topic, *obj.Event
		var err error
		if m.Ref, err = refString(obj.Ref); err != nil {
			return m, err
		}
		if m.JoinRef, err = refString(obj.JoinRef); err != nil {
			return m, err
		}
		if m.Payload, err = checkPayload(obj.Payload); err != nil {
			return m, err
		}
	}
	if m.Topic == "" || m.Event == "" {
		return m, fmt.Errorf("%w: empty topic or event", ErrFrame)
	}
	return m, nil
}

// Binary frame kinds of serializer 2.0.0.
const (
	kindUserBroadcastPush = 3
	kindUserBroadcast     = 4
)

// DecodeBinary parses a vsn 2.0.0 binary frame. Only kind 3 (a client's broadcast) is accepted;
// it becomes a "broadcast" message whose payload is {type, event, payload}.
func DecodeBinary(data []byte) (Message, error) {
	var m Message
	if len(data) < 7 || data[0] != kindUserBroadcastPush {
		return m, fmt.Errorf("%w: unsupported binary frame", ErrFrame)
	}
	lens := []int{int(data[1]), int(data[2]), int(data[3]), int(data[4]), int(data[5])}
	enc := data[6]
	rest := data[7:]
	parts := make([]string, 5)
	for i, n := range lens {
		if len(rest) < n {
			return m, fmt.Errorf("%w: truncated binary frame", ErrFrame)
		}
		parts[i], rest = string(rest[:n]), rest[n:]
	}
	if enc != 1 {
		return m, fmt.Errorf("%w: only JSON-encoded broadcast payloads are supported", ErrFrame)
	}
	if !json.Valid(rest) {
		return m, fmt.Errorf("%w: payload is not JSON", ErrFrame)
	}
	if parts[2] == "" || parts[3] == "" {
		return m, fmt.Errorf("%w: empty topic or event", ErrFrame)
	}
	jr, ref := parts[0], parts[1]
	m.JoinRef, m.Ref = &jr, &ref
	if jr == "" {
		m.JoinRef = nil
	}
	if ref == "" {
		m.Ref = nil
	}
	m.Topic, m.Event = parts[2], "broadcast"
	b, _ := json.Marshal(map[string]any{"type": "broadcast", "event": parts[3], "payload": json.RawMessage(rest)})
	m.Payload = b
	if len(parts[4]) > 0 && !json.Valid([]byte(parts[4])) {
		return m, fmt.Errorf("%w: metadata is not JSON", ErrFrame)
	}
	return m, nil
}

func jsonRef(r *string) string {
	if r == nil {
		return "null"
	}
	return strconv.Quote(*r)
}

// Encode renders a server message as a text frame. vsn 1.0.0 frames carry no join_ref, as
// Phoenix's V1 serializer sends them.
func Encode(vsn string, m Message) []byte {
	var b bytes.Buffer
	topic, _ := json.Marshal(m.Topic)
	event, _ := json.Marshal(m.Event)
	payload := m.Payload
	if len(payload) == 0 {
		payload = json.RawMessage("{}")
	}
	if vsn == V2 {
		b.WriteByte('[')
		b.WriteString(jsonRef(m.JoinRef))
		b.WriteByte(',')
		b.WriteString(jsonRef(m.Ref))
		b.WriteByte(',')
		b.Write(topic)
		b.WriteByte(',')
		b.Write(event)
		b.WriteByte(',')
		b.Write(payload)
		b.WriteByte(']')
		return b.Bytes()
	}
	b.WriteString(`{"topic":`)
	b.Write(topic)
	b.WriteString(`,"event":`)
	b.Write(event)
	b.WriteString(`,"payload":`)
	b.Write(payload)
	b.WriteString(`,"ref":`)
	b.WriteString(jsonRef(m.Ref))
	b.WriteByte('}')
	return b.Bytes()
}
