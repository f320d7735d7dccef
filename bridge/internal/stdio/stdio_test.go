package stdio

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReaderSplitsAndRecovers(t *testing.T) {
	long := `{"v":1,"type":"hello","x":"` + strings.Repeat("a", MaxLine) + `"}`
	in := strings.Join([]string{
		`{"v":1,"type":"hello","addon_version":"1.0.0","blender_version":"4.2.0","platform":"linux-x64","site_url":"https://x","extra":{"ignored":true}}`,
		``,
		`not json`,
		`{"v":2,"type":"hello","id":"r1"}`,
		long,
		`{"v":1}`,
		`{"v":1,"type":"pair","id":"r2"} {"v":1}`,
		`{"v":1,"type":"status","id":"r3"}`,
	}, "\n")
	r := NewReader(strings.NewReader(in))
	want := []string{"hello", string(CodeMalformed), string(CodeUnsupportedVersion), string(CodeLineTooLong), string(CodeMalformed), string(CodeMalformed), "status"}
	for i, w := range want {
		m, err := r.Next()
		var se *Error
		switch {
		case errors.As(err, &se):
			if string(se.Code) != w {
				t.Fatalf("line %d: code %s, want %s", i, se.Code, w)
			}
		case err != nil:
			t.Fatalf("line %d: %v", i, err)
		case m.Type != w:
			t.Fatalf("line %d: type %s, want %s", i, m.Type, w)
		}
		if i == 0 {
			var h Hello
			if err := m.Decode(&h); err != nil || h.SiteURL != "https://x" {
				t.Fatalf("hello decode: %+v %v", h, err)
			}
		}
		if i == 2 && se.ID != "r1" {
			t.Fatalf("error keeps the request id: %+v", se)
		}
		if i == 6 && m.ID != "r3" {
			t.Fatalf("id: %q", m.ID)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v", err)
	}
}

func TestWrongFieldTypeIsMalformed(t *testing.T) {
	m, err := Parse([]byte(`{"v":1,"type":"cache","action":42}`))
	if err != nil {
		t.Fatal(err)
	}
	var c Cache
	var se *Error
	if err := m.Decode(&c); !errors.As(err, &se) || se.Code != CodeMalformed {
		t.Fatalf("decode = %v", err)
	}
}

func TestEncode(t *testing.T) {
	line, err := Encode(TypeProgress, "", Progress{ImportID: "i1", Stage: StageDownloading, Fraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(line); got != `{"type":"progress","v":1,"import_id":"i1","stage":"downloading","fraction":0.5}`+"\n" {
		t.Fatalf("got %s", got)
	}
	line, _ = Encode(TypeShutdown, "r9", nil)
	if string(line) != `{"re":"r9","type":"shutdown","v":1}`+"\n" {
		t.Fatalf("got %s", line)
	}
	if _, err := Encode("x", "", "not an object"); err == nil {
		t.Fatal("non-object body accepted")
	}
	m, err := Parse(bytes.TrimSpace(line))
	if err != nil || m.Type != TypeShutdown {
		t.Fatalf("round trip: %+v %v", m, err)
	}
}

// The decoder never panics and never accepts a line that is not one v1 object with a type.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"v":1,"type":"hello"}`, `{"v":1,"type":"imported","import_id":"a","objects":["Cube"]}`,
		`[]`, `{"v":1.0,"type":"x"}`, `{"v":1,"type":""}`, "\xff", `{"v":1,"type":"a","v":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Code == "" {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if m.Type == "" {
			t.Fatal("accepted without type")
		}
		var h Hello
		_ = m.Decode(&h)
		if bytes.ContainsAny(b, "\r\n") {
			return // the reader splits there; Parse sees one line
		}
		r := NewReader(bytes.NewReader(append(append([]byte{}, b...), '\n')))
		if _, err := r.Next(); err != nil {
			t.Fatalf("reader disagrees with Parse: %v", err)
		}
	})
}
