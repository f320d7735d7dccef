package download

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// secretQuery stands in for a presigned URL's signature; it must never appear in errors.
const secretQuery = "?X-Amz-Signature=topsecret0123&X-Amz-Credential=octanelocal"

func blob(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed+1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func shaHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// object is a mutable test object served with ETag, Range and If-Range (http.ServeContent).
type object struct {
	mu       sync.Mutex
	data     []byte
	etag     string
	cutAfter int64 // when > 0, the next full response dies after this many bytes
	slow     bool  // full responses are served slowly enough to act mid-body (see slowReader)
	requests []string
	statuses []int
}

func (o *object) set(data []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.data = data
	o.etag = `"` + shaHex(data)[:16] + `"`
}

// serveSlowly makes full responses slow enough for a test to act mid-body (resumes stay fast).
func (o *object) serveSlowly() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.slow = true
}

func (o *object) log() (reqs []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.requests...)
}

func (o *object) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	data, etag, cut, slow := o.data, o.etag, o.cutAfter, o.slow
	o.cutAfter = 0
	o.requests = append(o.requests, r.Header.Get("Range")+"|"+r.Header.Get("If-Range"))
	o.mu.Unlock()
	w.Header().Set("ETag", etag)
	if cut > 0 {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:cut])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection drops mid-body
	}
	var body io.ReadSeeker = bytes.NewReader(data)
	if slow && r.Header.Get("Range") == "" {
		body = &slowReader{ReadSeeker: body} // resumes are served at full speed
	}
	http.ServeContent(w, r, "pkg.zip", time.Time{}, body)
}

// slowReader serves the first MB quickly, then slowly, so a test has seconds to act mid-body
// even on a loaded machine.
type slowReader struct {
	io.ReadSeeker
	n int
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(p) > 32<<10 {
		p = p[:32<<10]
	}
	if s.n >= 1<<20 {
		time.Sleep(20 * time.Millisecond)
	}
	n, err := s.ReadSeeker.Read(p)
	s.n += n
	return n, err
}

func newObject(t *testing.T, data []byte) (*object, string) {
	o := &object{}
	o.set(data)
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	return o, srv.URL + "/packages/pkg.zip" + secretQuery
}

func mustContent(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("part has %d bytes, not the object's %d (or different content)", len(got), len(want))
	}
	if _, err := os.Stat(path + ".etag"); !os.IsNotExist(err) {
		t.Fatalf("validator sidecar left after success: %v", err)
	}
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if fault.CodeOf(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
	if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "X-Amz") {
		t.Fatalf("error leaks the URL's query: %v", err)
	}
}

func TestFetchVerifiesAndReportsFinalProgress(t *testing.T) {
	data := blob(3<<20, 1)
	o, u := newObject(t, data)
	part := filepath.Join(t.TempDir(), "sub", "x.zip.part")
	var last [2]int64
	var calls int
	err := (&Client{}).Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), func(d, tot int64) {
		calls++
		last = [2]int64{d, tot}
	})
	if err != nil {
		t.Fatal(err)
	}
	mustContent(t, part, data)
	if last != [2]int64{int64(len(data)), int64(len(data))} || calls == 0 {
		t.Fatalf("final progress %v after %d calls", last, calls)
	}
	if st, _ := os.Stat(part); st.Mode().Perm() != 0o600 {
		t.Fatalf("part mode %v, want 0600", st.Mode().Perm())
	}
	// A second call finds the complete part and does not download again (as after a kill
	// between the last byte and the sidecar's removal).
	os.WriteFile(part+".etag", []byte(o.etag), 0o600)
	n := len(o.log())
	if err := (&Client{}).Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), nil); err != nil {
		t.Fatal(err)
	}
	if len(o.log()) != n {
		t.Fatalf("a complete verified part was downloaded again: %v", o.log())
	}
	mustContent(t, part, data)
	// A complete part with the wrong bytes is fetched again, not accepted.
	bad := bytes.Clone(data)
	bad[0] ^= 1
	os.WriteFile(part, bad, 0o600)
	if err := (&Client{}).Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), nil); err != nil {
		t.Fatal(err)
	}
	mustContent(t, part, data)
	if len(o.log()) != n+1 {
		t.Fatalf("requests %v", o.log())
	}
}

func TestFetchResumesAfterDroppedConnection(t *testing.T) {
	data := blob(4<<20, 2)
	o, u := newObject(t, data)
	o.cutAfter = 1<<20 + 123
	part := filepath.Join(t.TempDir(), "x.zip.part")
	c := &Client{}
	err := c.Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), nil)
	wantCode(t, err, CodeFailed)
	if st, err := os.Stat(part); err != nil || st.Size() != 1<<20+123 {
		t.Fatalf("part after the drop: %v %v", st, err)
	}
	if err := c.Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), nil); err != nil {
		t.Fatal(err)
	}
	mustContent(t, part, data)
	reqs := o.log()
	if want := fmt.Sprintf("bytes=%d-|%s", 1<<20+123, o.etag); reqs[len(reqs)-1] != want {
		t.Fatalf("second request %q, want %q", reqs[len(reqs)-1], want)
	}
}

func TestFetchRestartsWhenObjectChanged(t *testing.T) {
	old, data := blob(2<<20+77, 3), blob(2<<20+77, 4) // same size, other bytes
	o, u := newObject(t, old)
	o.cutAfter = 500_000
	part := filepath.Join(t.TempDir(), "x.zip.part")
	c := &Client{}
	wantCode(t, c.Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), nil), CodeFailed)
	o.set(data) // replaced between attempts: If-Range no longer matches, the server answers 200
	if err := c.Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), nil); err != nil {
		t.Fatal(err)
	}
	mustContent(t, part, data)
	if r := o.log(); !strings.HasPrefix(r[len(r)-1], "bytes=500000-|") {
		t.Fatalf("did not try to resume: %v", r)
	}
}

// A server that answers 206 although the validator changed gets one full GET instead.
func TestFetchRestartsOnPartialWithOtherETag(t *testing.T) {
	data := blob(1<<20, 5)
	var full atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rg := r.Header.Get("Range"); rg != "" {
			w.Header().Set("ETag", `"other"`)
			w.Header().Set("Content-Range", fmt.Sprintf("bytes 1000-%d/%d", len(data)-1, len(data)))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(data[1000:])
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"v2"`)
		w.Write(data)
	}))
	defer srv.Close()
	part := filepath.Join(t.TempDir(), "x.zip.part")
	os.WriteFile(part, bytes.Repeat([]byte{'z'}, 1000), 0o600) // stale bytes of an old version
	os.WriteFile(part+".etag", []byte(`"v1"`), 0o600)
	if err := (&Client{}).Fetch(context.Background(), srv.URL, part, int64(len(data)), shaHex(data), nil); err != nil {
		t.Fatal(err)
	}
	mustContent(t, part, data)
	if full.Load() != 1 {
		t.Fatalf("%d full GETs, want 1", full.Load())
	}
}

// A kept prefix that is corrupt (a power loss, a server that ranges differently) makes the
// resumed result fail its hash; the object is then fetched whole once and verifies.
func TestFetchRefetchesWholeWhenResumedResultMismatches(t *testing.T) {
	data := blob(1<<20, 11)
	o, u := newObject(t, data)
	part := filepath.Join(t.TempDir(), "x.zip.part")
	bad := bytes.Clone(data[:300_000])
	bad[1234] ^= 0x40
	os.WriteFile(part, bad, 0o600)
	os.WriteFile(part+".etag", []byte(o.etag), 0o600)
	if err := (&Client{}).Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), nil); err != nil {
		t.Fatal(err)
	}
	mustContent(t, part, data)
	if r := o.log(); len(r) != 2 || !strings.HasPrefix(r[0], "bytes=300000-") || r[1] != "|" {
		t.Fatalf("requests %q, want a resume then one full GET", r)
	}
}

// A part without a validator cannot be resumed safely: it is started over.
func TestFetchIgnoresPartWithoutValidator(t *testing.T) {
	data := blob(1<<20, 6)
	o, u := newObject(t, data)
	part := filepath.Join(t.TempDir(), "x.zip.part")
	os.WriteFile(part, bytes.Repeat([]byte{'z'}, 4096), 0o600)
	if err := (&Client{}).Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), nil); err != nil {
		t.Fatal(err)
	}
	mustContent(t, part, data)
	if r := o.log(); r[0] != "|" {
		t.Fatalf("ranged request without a validator: %v", r)
	}
}

func TestFetchRefusals(t *testing.T) {
	data := blob(256<<10, 7)
	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 1
	serve := func(status int, body []byte, declared int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if declared >= 0 {
				w.Header().Set("Content-Length", fmt.Sprint(declared))
			}
			w.WriteHeader(status)
			w.Write(body)
			if declared > len(body) {
				w.(http.Flusher).Flush()
				panic(http.ErrAbortHandler)
			}
		}
	}
	cases := []struct {
		name     string
		h        http.HandlerFunc
		code     codes.Code
		keepPart bool
	}{
		{"flipped byte", serve(200, flipped, len(flipped)), CodeHashMismatch, false},
		{"short body", serve(200, data[:1000], len(data)), CodeFailed, true},
		{"smaller object", serve(200, data[:1000], 1000), CodeSizeMismatch, false},
		{"longer chunked body", serve(200, append(bytes.Clone(data), 'x'), -1), CodeSizeMismatch, false},
		{"403 expired", serve(403, []byte("<Error><Code>AccessDenied</Code></Error>"), -1), CodeExpired, false},
		{"401", serve(401, nil, -1), CodeExpired, false},
		{"400 expired token", serve(400, []byte("<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>"), -1), CodeExpired, false},
		{"400 other", serve(400, []byte("<Error><Code>InvalidArgument</Code></Error>"), -1), CodeFailed, false},
		{"404", serve(404, nil, -1), CodeNotFound, false},
		{"500", serve(500, nil, -1), CodeFailed, false},
		{"503", serve(503, nil, -1), CodeFailed, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			part := filepath.Join(t.TempDir(), "x.zip.part")
			err := (&Client{}).Fetch(context.Background(), srv.URL+"/k"+secretQuery, part, int64(len(data)), shaHex(data), nil)
			wantCode(t, err, tc.code)
			st, statErr := os.Stat(part)
			if tc.keepPart && (statErr != nil || st.Size() != 1000) {
				t.Fatalf("interrupted part not kept for resuming: %v %v", st, statErr)
			}
			if (tc.code == CodeHashMismatch || tc.code == CodeSizeMismatch) && !os.IsNotExist(statErr) {
				t.Fatalf("mismatching part not deleted: %v", statErr)
			}
		})
	}
}

func TestFetchTransportErrorHidesQuery(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + "/k" + secretQuery
	srv.Close()
	data := blob(10, 8)
	err := (&Client{}).Fetch(context.Background(), u, filepath.Join(t.TempDir(), "p"), 10, shaHex(data), nil)
	wantCode(t, err, CodeFailed)
	if !strings.Contains(err.Error(), "/k") {
		t.Fatalf("error should still name host and path: %v", err)
	}
}

func TestFetchArgumentChecks(t *testing.T) {
	part := filepath.Join(t.TempDir(), "p")
	c := &Client{MaxSize: 1000}
	wantCode(t, c.Fetch(context.Background(), "http://127.0.0.1:1/", part, 1001, shaHex(nil), nil), CodeTooLarge)
	wantCode(t, c.Fetch(context.Background(), "http://127.0.0.1:1/", part, 10, strings.ToUpper(shaHex(nil)), nil), CodeInvalid)
	wantCode(t, c.Fetch(context.Background(), "http://127.0.0.1:1/", part, 0, shaHex(nil), nil), CodeInvalid)
	wantCode(t, c.Fetch(context.Background(), "http://127.0.0.1:1/", "", 10, shaHex(nil), nil), CodeInvalid) // cache.PartPath of a bad key
	if _, err := os.Stat(part); !os.IsNotExist(err) {
		t.Fatal("refused fetch created a part")
	}
}

func TestFetchProgressIsThrottled(t *testing.T) {
	data := blob(1<<20, 9)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		for i := 0; i < len(data); i += 8 << 10 { // 128 writes over ~1.3 s
			w.Write(data[i : i+8<<10])
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
		}
	}))
	defer srv.Close()
	var times []time.Time
	var dones []int64
	start := time.Now()
	err := (&Client{}).Fetch(context.Background(), srv.URL, filepath.Join(t.TempDir(), "p"), int64(len(data)), shaHex(data), func(d, _ int64) {
		times = append(times, time.Now())
		dones = append(dones, d)
	})
	if err != nil {
		t.Fatal(err)
	}
	secs := time.Since(start).Seconds()
	if float64(len(times)) > 5*secs+2 {
		t.Fatalf("%d progress calls in %.1fs", len(times), secs)
	}
	if len(times) < 3 {
		t.Fatalf("only %d progress calls over %.1fs", len(times), secs)
	}
	for i := 1; i < len(times)-1; i++ {
		if gap := times[i].Sub(times[i-1]); gap < progressInterval-time.Millisecond {
			t.Fatalf("progress calls %v apart", gap)
		}
	}
	if dones[len(dones)-1] != int64(len(data)) {
		t.Fatalf("last progress %d", dones[len(dones)-1])
	}
}

func TestFetchCancelKeepsPartForResume(t *testing.T) {
	data := blob(2<<20, 10)
	o, u := newObject(t, data)
	part := filepath.Join(t.TempDir(), "p")
	ctx, cancel := context.WithCancel(context.Background())
	hc := &http.Client{Transport: cancelAfter(http.DefaultTransport, 700_000, cancel)}
	err := (&Client{HTTP: hc}).Fetch(ctx, u, part, int64(len(data)), shaHex(data), nil)
	wantCode(t, err, CodeFailed)
	if ctx.Err() == nil || !errorsIsCanceled(err) {
		t.Fatalf("want a canceled error, got %v", err)
	}
	if err := (&Client{}).Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), nil); err != nil {
		t.Fatal(err)
	}
	mustContent(t, part, data)
	if r := o.log(); !strings.HasPrefix(r[1], "bytes=") {
		t.Fatalf("did not resume: %v", r)
	}
}

func TestParseContentRange(t *testing.T) {
	for s, want := range map[string][3]int64{
		"bytes 10-99/100": {10, 100, 1},
		"bytes 0-0/*":     {0, -1, 1},
		"bytes 10-99/50":  {0, 0, 0},
		"bytes 10-5/100":  {0, 0, 0},
		"items 0-1/2":     {0, 0, 0},
		"bytes -1-5/10":   {0, 0, 0},
		"bytes 1-2":       {0, 0, 0},
	} {
		a, b, ok := parseContentRange(s)
		if got := [3]int64{a, b, map[bool]int64{true: 1}[ok]}; got != want {
			t.Errorf("%q: got %v want %v", s, got, want)
		}
	}
}

// Two writers on one part (two bridges sharing the cache) take turns: the second finds the
// first one's verified part and downloads nothing.
func TestFetchSamePartTakesTurns(t *testing.T) {
	data := blob(2<<20, 12)
	obj, u := newObject(t, data)
	obj.serveSlowly()
	part := filepath.Join(t.TempDir(), "x.zip.part")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = (&Client{}).Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), nil)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	mustContent(t, part, data)
	if n := len(obj.log()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	if _, err := os.Stat(part + ".lock"); !os.IsNotExist(err) {
		t.Fatalf("lock file left: %v", err)
	}
	// A waiter gives up when its context ends.
	release, err := lockPart(context.Background(), part+".lock")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = (&Client{}).Fetch(ctx, u, part, int64(len(data)), shaHex(data), nil)
	if fault.CodeOf(err) != CodeFailed || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DOWNLOAD_FAILED after the deadline, got %v", err)
	}
}

// Downloads stream to disk: 32 MB cost a buffer, not their size, in memory.
func TestFetchMemoryDoesNotGrowWithSize(t *testing.T) {
	data := bytes.Repeat(blob(64<<10, 13), 512)
	_, u := newObject(t, data)
	sum := shaHex(data)
	part := filepath.Join(t.TempDir(), "big.part")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := (&Client{}).Fetch(context.Background(), u, part, int64(len(data)), sum, nil); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Fatalf("downloading 32 MB allocated %d MB", grew>>20)
	}
}
