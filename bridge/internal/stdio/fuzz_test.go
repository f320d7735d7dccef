package stdio

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/octanebridge/octane-bridge/internal/codes"
)

// inbound returns a fresh value of every typed message the add-on sends the bridge.
func inbound() []any {
	return []any{&Hello{}, &Pair{}, &Cache{}, &Imported{}, &ImportFailed{}}
}

// FuzzTypedMessages: every typed decode of any accepted line either succeeds or fails with a
// MALFORMED *Error that keeps the request id; what decodes is encoded again as one line that
// parses and decodes to the same value (nothing is lost or invented on the way back).
func FuzzTypedMessages(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"hello","id":"r1","addon_version":"1.2.0","blender_version":"4.2.1","platform":"linux","site_url":"https://x","cache_max_bytes":1073741824}`,
		`{"v":1,"type":"hello","cache_max_bytes":-1,"device_name":"\u0000\ud800"}`,
		`{"v":1,"type":"hello","cache_max_bytes":1e400}`,
		`{"v":1,"type":"hello","cache_max_bytes":9223372036854775808}`,
		`{"v":1,"type":"pair","device_name":"Studio \u2028 PC"}`,
		`{"v":1,"type":"cache","action":"clear"}`,
		`{"v":1,"type":"cache","action":42}`,
		`{"v":1,"type":"imported","import_id":"a","material_name":"M","objects":["Cube","Cube.001"],"faces":12,"reused":true,"message":"ok"}`,
		`{"v":1,"type":"imported","import_id":"a","objects":null,"faces":1.5}`,
		`{"v":1,"type":"imported","objects":[1,2]}`,
		`{"v":1,"type":"import_failed","import_id":"a","code":"BLENDER_ERROR","message":"zeile\nzwei"}`,
		`{"v":1,"type":"import_failed","import_id":{"nested":true}}`,
		"{\"v\":1,\"type\":\"hello\",\"site_url\":\"\xff\xfe\"}",
		`{"v":1,"type":"hello","SITE_URL":"https://case","site_url":"https://later"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := Parse(line)
		if err != nil {
			return
		}
		for _, v := range inbound() {
			if err := m.Decode(v); err != nil {
				var se *Error
				if !errors.As(err, &se) || se.Code != CodeMalformed || se.ID != m.ID {
					t.Fatalf("decode %T: %v", v, err)
				}
				continue
			}
			out, err := Encode(m.Type, "", v)
			if err != nil {
				var se *Error
				if errors.As(err, &se) && se.Code == CodeLineTooLong {
					continue // the escaped form of a near-1 MiB line may not fit
				}
				t.Fatalf("encode %T %+v: %v", v, v, err)
			}
			if len(out) > MaxLine+1 || bytes.IndexByte(out, '\n') != len(out)-1 {
				t.Fatalf("encoded %T is not one line: %q", v, out)
			}
			back, err := NewReader(bytes.NewReader(out)).Next()
			if err != nil || back.Type != m.Type {
				t.Fatalf("re-read %T: %v %+v", v, err, back)
			}
			again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := back.Decode(again); err != nil || !reflect.DeepEqual(v, again) {
				t.Fatalf("round trip of %T: %+v became %+v (%v)", v, v, again, err)
			}
		}
	})
}

// FuzzMessageStream: bridge messages with arbitrary text, written back to back on one stream
// (as the writer does), are read back one by one, in order and unchanged, whatever the text
// holds (newlines, U+2028, quotes, NUL); invalid UTF-8 arrives as U+FFFD, never as a split line.
func FuzzMessageStream(f *testing.F) {
	f.Add("i1", "Brushed Steel", "downloading", "done", "", "ok")
	f.Add("i\n2", "line\r\nbreak", "\u2028", "failed", "HASH_MISMATCH", "\"quoted\"\\")
	f.Add("\x00", "\xff\xfe", "{\"v\":1,\"type\":\"x\"}\n", "", "\t", strings.Repeat("é", 1000))
	f.Fuzz(func(t *testing.T, id, name, stage, status, code, msg string) {
		msgs := []struct {
			typ  string
			body any
		}{
			{TypeProgress, &Progress{ImportID: id, ShaderName: name, Stage: stage, Fraction: 0.5, Bytes: 1, Total: 2}},
			{TypeImport, &Import{ImportID: id, ShaderName: name, MaterialName: msg, BlendPath: code, PackageDir: stage}},
			{TypeImportStatus, &ImportStatus{ImportID: id, Status: status, Code: codes.Code(code), Message: msg}},
			{TypeError, &ErrorMsg{Code: codes.Code(code), Message: msg}},
			{TypeStatus, &Status{State: status, Message: msg, Account: name}},
		}
		var stream bytes.Buffer
		w := NewWriter(&stream)
		for _, m := range msgs {
			if err := w.Send(m.typ, id, m.body); err != nil {
				t.Fatalf("send %s: %v", m.typ, err)
			}
		}
		valid := true
		for _, s := range []string{id, name, stage, status, code, msg} {
			valid = valid && utf8.ValidString(s)
		}
		r := NewReader(&stream)
		for _, m := range msgs {
			got, err := r.Next()
			if err != nil || got.Type != m.typ {
				t.Fatalf("read %s: %+v %v", m.typ, got, err)
			}
			v := reflect.New(reflect.TypeOf(m.body).Elem()).Interface()
			if err := got.Decode(v); err != nil {
				t.Fatalf("decode %s: %v", m.typ, err)
			}
			if valid && !reflect.DeepEqual(v, m.body) {
				t.Fatalf("%s: sent %+v, read %+v", m.typ, m.body, v)
			}
		}
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("after the last message: %v", err)
		}
	})
}
