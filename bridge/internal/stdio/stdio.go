// Package stdio is the bridge's side of the add-on protocol (docs/bridge-protocol.md):
// newline-delimited JSON objects on stdin/stdout, each carrying "v" and "type", at most 1 MiB a line.
package stdio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/jsonkeys"
)

// Version is the protocol version this bridge speaks.
const Version = 1

// MaxLine bounds one message, newline excluded.
const MaxLine = 1 << 20

// Stable codes for lines the bridge cannot use; they go back to the add-on in an error message.
const (
	CodeMalformed          = codes.Malformed
	CodeLineTooLong        = codes.LineTooLong
	CodeUnsupportedVersion = codes.UnsupportedVersion
	CodeUnknownType        = codes.UnknownType
)

// Error (the bridge's one coded error, package fault) is a line that is not a usable v1 message,
// with the request id in ID when the line had one. The reader stays usable after it.
type Error = fault.Error

// Message is one decoded line: its envelope plus the raw object for typed decoding.
type Message struct {
	Type string
	ID   string
	raw  json.RawMessage
}

// Decode fills v (a pointer to one of the message structs) from the message: every field the
// struct does not mark omitempty must be present and not null (schemas/stdio-to-bridge.schema.json
// requires exactly those); unknown fields are ignored so newer add-ons can add fields without
// breaking older bridges.
func (m Message) Decode(v any) error {
	err := json.Unmarshal(m.raw, v)
	if err == nil {
		err = jsonkeys.Check(m.raw, v)
	}
	if c, ok := v.(interface{ check() error }); ok && err == nil {
		err = c.check()
	}
	if err != nil {
		return &Error{Code: CodeMalformed, Msg: fmt.Sprintf("%s: %v", m.Type, err), ID: m.ID}
	}
	return nil
}

// Parse decodes one line (without its newline).
func Parse(line []byte) (Message, error) {
	if len(line) > MaxLine {
		return Message{}, &Error{Code: CodeLineTooLong, Msg: "line exceeds 1 MiB"}
	}
	var env struct {
		V    json.RawMessage `json:"v"`
		Type json.RawMessage `json:"type"`
		ID   json.RawMessage `json:"id"`
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&env); err != nil {
		return Message{}, &Error{Code: CodeMalformed, Msg: "not a JSON object"}
	}
	if dec.More() {
		return Message{}, &Error{Code: CodeMalformed, Msg: "more than one JSON value on a line"}
	}
	var id string
	if env.ID != nil && json.Unmarshal(env.ID, &id) != nil || string(env.ID) == "null" {
		return Message{}, &Error{Code: CodeMalformed, Msg: "id must be a string"}
	}
	var v int
	if json.Unmarshal(env.V, &v) != nil || v != Version {
		return Message{}, &Error{Code: CodeUnsupportedVersion, Msg: "protocol version (v) must be 1", ID: id}
	}
	var typ string
	if json.Unmarshal(env.Type, &typ) != nil || typ == "" {
		return Message{}, &Error{Code: CodeMalformed, Msg: "missing type (a string)", ID: id}
	}
	return Message{Type: typ, ID: id, raw: bytes.Clone(line)}, nil
}

// Reader splits a stream into messages.
type Reader struct {
	r *bufio.Reader
}

func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 64<<10)} }

// Next returns the next message. A bad line yields an *Error and the reader moves on to the next
// line; io.EOF means the add-on closed stdin. Blank lines are skipped.
func (r *Reader) Next() (Message, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return Message{}, err
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		return Parse(line)
	}
}

var errTooLong = &Error{Code: CodeLineTooLong, Msg: "line exceeds 1 MiB"}

// readLine reads up to the next newline without ever holding more than MaxLine bytes: a longer
// line is consumed and discarded, and reported once.
func (r *Reader) readLine() ([]byte, error) {
	var buf []byte
	tooLong := false
	for {
		chunk, err := r.r.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > MaxLine+1 {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case err == nil:
			if tooLong {
				return nil, errTooLong
			}
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0 && !tooLong:
			return buf, nil // last line without a newline
		case errors.Is(err, io.EOF) && tooLong:
			return nil, errTooLong
		default:
			return nil, err
		}
	}
}

// Writer sends messages; safe for concurrent use (one line is one Write).
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Send writes {"v":1,"type":typ, ...fields of body}. body is a struct or nil; re is the request
// id being answered ("" when none).
func (w *Writer) Send(typ, re string, body any) error {
	line, err := Encode(typ, re, body)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err = w.w.Write(line)
	return err
}

// Encode renders one message line, newline included.
func Encode(typ, re string, body any) ([]byte, error) {
	head := map[string]any{"v": Version, "type": typ}
	if re != "" {
		head["re"] = re
	}
	line, err := json.Marshal(head)
	if err != nil {
		return nil, err
	}
	if body != nil {
		fields, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		if len(fields) < 2 || fields[0] != '{' {
			return nil, fmt.Errorf("stdio: %s body must be an object", typ)
		}
		if len(fields) > 2 { // splice the body's fields after the envelope's
			line = append(append(line[:len(line)-1], ','), fields[1:]...)
		}
	}
	if len(line) > MaxLine {
		return nil, &Error{Code: CodeLineTooLong, Msg: typ + " message exceeds 1 MiB"}
	}
	return append(line, '\n'), nil
}
