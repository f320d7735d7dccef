package download

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
)

// reStrictContentRange is RFC 9110 §14.4's byte-range form of Content-Range: digits only (no
// sign, no spaces), first-pos <= last-pos < complete-length, or "*" for an unknown length.
var reStrictContentRange = regexp.MustCompile(`^bytes ([0-9]+)-([0-9]+)/([0-9]+|\*)$`)

// FuzzParseContentRange: the resume check never accepts a header the RFC grammar refuses, never
// returns a start or total that is not in the header, and reads back every header it formats.
func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{
		"bytes 10-99/100", "bytes 0-0/*", "bytes 0-0/1", "bytes 10-99/50", "bytes 10-5/100", "items 0-1/2",
		"bytes -1-5/10", "bytes 1-2", "bytes +5-9/10", "bytes 5-+9/10", "bytes 5-9/+10", "bytes 5-9/-10",
		"bytes  5-9/10", "bytes 5 -9/10", "bytes 5-9/10 ", "bytes 0-9223372036854775806/9223372036854775807",
		"bytes 0-9223372036854775807/*", "bytes 0-99999999999999999999/*", "bytes 007-009/010", "bytes */100",
		"BYTES 0-1/2", "bytes 0-1/2/3", "bytes 0-1-2/3", "bytes ٠-١/٢", "", "bytes ", "bytes -/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, total, ok := parseContentRange(s)
		m := reStrictContentRange.FindStringSubmatch(s)
		if !ok {
			if m == nil {
				return
			}
			// The grammar allows it; only numbers beyond int64 or a total not above last-pos may be refused.
			a, errA := strconv.ParseInt(m[1], 10, 64)
			b, errB := strconv.ParseInt(m[2], 10, 64)
			if errA == nil && errB == nil && a <= b && m[3] == "*" {
				t.Fatalf("%q refused", s)
			}
			if n, err := strconv.ParseInt(m[3], 10, 64); errA == nil && errB == nil && a <= b && err == nil && n > b {
				t.Fatalf("%q refused", s)
			}
			return
		}
		if m == nil {
			t.Fatalf("%q accepted, but it is not an RFC 9110 byte range", s)
		}
		end, _ := strconv.ParseInt(m[2], 10, 64)
		if want, _ := strconv.ParseInt(m[1], 10, 64); start != want || start < 0 || end < start {
			t.Fatalf("%q: start %d", s, start)
		}
		switch {
		case m[3] == "*" && total != -1:
			t.Fatalf("%q: total %d, want -1", s, total)
		case m[3] != "*":
			if want, _ := strconv.ParseInt(m[3], 10, 64); total != want || total <= end {
				t.Fatalf("%q: total %d", s, total)
			}
		}
		// Formatting what was read and parsing it again gives the same numbers.
		tot := "*"
		if total >= 0 {
			tot = strconv.FormatInt(total, 10)
		}
		a2, t2, ok2 := parseContentRange(fmt.Sprintf("bytes %d-%d/%s", start, end, tot))
		if !ok2 || a2 != start || t2 != total {
			t.Fatalf("%q: round trip gave %d %d %v", s, a2, t2, ok2)
		}
	})
}

// rangeServer answers a ranged GET with 206, the fuzzed Content-Range and ETag, and the object
// from bodyFrom; a plain GET with the whole object.
type rangeServer struct {
	data         []byte
	etag         string
	contentRange string
	respETag     string
	bodyFrom     int
	status       int
}

func (s *rangeServer) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{}
	resp := &http.Response{Request: r, Header: h, ProtoMajor: 1, ProtoMinor: 1}
	if r.Header.Get("Range") == "" {
		h.Set("ETag", s.etag)
		resp.StatusCode, resp.ContentLength = http.StatusOK, int64(len(s.data))
		resp.Body = io.NopCloser(bytes.NewReader(s.data))
		return resp, nil
	}
	from := min(max(s.bodyFrom, 0), len(s.data))
	h.Set("Content-Range", s.contentRange)
	if s.respETag != "" {
		h.Set("ETag", s.respETag)
	}
	resp.StatusCode, resp.ContentLength = s.status, -1
	resp.Body = io.NopCloser(bytes.NewReader(s.data[from:]))
	return resp, nil
}

// FuzzFetchResume: whatever a server answers to a resume (any Content-Range, ETag, status, and
// body offset), Fetch ends with exactly the signed object or a coded error, never a splice.
func FuzzFetchResume(f *testing.F) {
	data := blob(64<<10, 21)
	type seed struct {
		have         int
		contentRange string
		respETag     string
		bodyFrom     int
		status       int
	}
	for _, s := range []seed{
		{1000, "bytes 1000-65535/65536", `"v1"`, 1000, 206},          // honest
		{1000, "bytes 1000-65535/65536", "", 1000, 206},              // no ETag on the 206
		{1000, "bytes 1000-65535/65536", `"v1"`, 999, 206},           // lies about where the body starts
		{1000, "bytes 0-65535/65536", `"v1"`, 0, 206},                // ignores the range
		{1000, "bytes 1000-65535/70000", `"v1"`, 1000, 206},          // another object's length
		{1000, "bytes 1000-65535/*", `"v1"`, 1000, 206},              // unknown length
		{1000, "bytes +1000-65535/65536", `"v1"`, 1000, 206},         // a sign
		{1000, "bytes 1000-65535/65536", `"v2"`, 1000, 206},          // another version
		{1000, "bytes 1000-65535/65536", `W/"v1"`, 1000, 206},        // weak
		{65535, "bytes 65535-65535/65536", `"v1"`, 65535, 206},       // one byte left
		{1000, "bytes 1000-65535/65536", `"v1"`, 1000, 416},          // not satisfiable
		{1000, "garbage", `"v1"`, 1000, 206},                         // unreadable
		{1000, "bytes 1000-2000/65536", `"v1"`, 1000, 206},           // a shorter range than asked
		{1000, "bytes 1000-65535/65536", `"v1"`, 1000, 200},          // a 200 to a ranged request
		{30000, "bytes 30000-65535/65536", `"v1"`, 29000, 206},       // shifted body, prefix kept
		{1, "bytes 1-65535/65536", `"v1"`, 1, 206},                   // the smallest prefix
		{1000, "bytes 1000-65535/65536", `"v1"`, len(data) + 5, 206}, // an empty body
	} {
		f.Add(s.have, s.contentRange, s.respETag, s.bodyFrom, s.status)
	}
	f.Fuzz(func(t *testing.T, have int, contentRange, respETag string, bodyFrom, status int) {
		if have <= 0 || have >= len(data) || (status != 200 && status != 206 && status != 416) {
			return
		}
		dir := t.TempDir()
		part := filepath.Join(dir, "pkg.zip.part")
		if err := os.WriteFile(part, data[:have], 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(part+".etag", []byte(`"v1"`), 0o600); err != nil {
			t.Fatal(err)
		}
		srv := &rangeServer{data: data, etag: `"v1"`, contentRange: contentRange, respETag: respETag, bodyFrom: bodyFrom, status: status}
		c := &Client{HTTP: &http.Client{Transport: srv}}
		err := c.Fetch(context.Background(), "https://s3.test/pkg.zip?X-Amz-Signature=secret", part, int64(len(data)), shaHex(data), nil)
		if err != nil {
			if fault.CodeOf(err) == "" || strings.Contains(err.Error(), "secret") {
				t.Fatalf("error without a code or with the URL's query: %v", err)
			}
			if b, rerr := os.ReadFile(part); rerr == nil && len(b) > len(data) {
				t.Fatalf("the part grew to %d bytes", len(b))
			}
			return
		}
		got, rerr := os.ReadFile(part)
		if rerr != nil || !bytes.Equal(got, data) {
			t.Fatalf("Fetch succeeded with %d bytes that are not the object (%v)", len(got), rerr)
		}
	})
}

// failTransport fails the test if a request is made at all.
type failTransport struct{ t *testing.T }

func (f failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.t.Fatalf("request made to %s", r.URL.Redacted())
	return nil, nil
}

// Threat 16: a presigned URL is a bearer credential and the package is paid content, so a
// download goes over https, or plain http only to this machine (the local stack's S3).
func TestFetchRefusesPlainHTTPToAnotherHost(t *testing.T) {
	data := blob(1000, 3)
	c := &Client{HTTP: &http.Client{Transport: failTransport{t}}}
	for _, u := range []string{"http://s3.example.com/b/k?X-Amz-Signature=s", "http://10.0.0.5:9000/b/k", "ftp://s3.example.com/k",
		"//s3.example.com/k", "file:///etc/passwd", "http://127.0.0.1.nip.io/k", "s3.example.com/k"} {
		err := c.Fetch(context.Background(), u, filepath.Join(t.TempDir(), "p.part"), int64(len(data)), shaHex(data), nil)
		if fault.CodeOf(err) != CodeInvalid {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"https://s3.example.com/b/k", "http://127.0.0.1:9000/b/k", "http://[::1]:9000/b/k", "http://localhost:9000/b/k"} {
		if !secureURL(u) {
			t.Errorf("%s refused", u)
		}
	}
}
