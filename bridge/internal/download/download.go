// Package download fetches a shader package zip over HTTP(S) into a ".part" file, resuming
// interrupted downloads with Range + If-Range, and verifies its size and SHA-256 against the
// signed delivery before anyone opens it.
//
// Presigned URLs are bearer credentials: nothing here logs a URL, and errors carry the URL
// without its query string.
package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/bridge/internal/httpx"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// Stable error codes.
const (
	CodeFailed       = codes.DownloadFailed   // network trouble, 5xx, unexpected status: retryable
	CodeExpired      = codes.DownloadExpired  // 401/403: the presigned URL expired or was refused
	CodeNotFound     = codes.DownloadNotFound // 404/410
	CodeSizeMismatch = codes.SizeMismatch     // the object is not the signed size
	CodeHashMismatch = codes.HashMismatch     // the bytes are not the signed SHA-256
	CodeTooLarge     = codes.TooLarge         // wantSize is above the client's cap
	CodeInvalid      = codes.DownloadInvalid  // bad arguments (not a hex SHA-256, size <= 0)
)

// Error is the bridge's one coded error (package fault: the innermost code counts).
type Error = fault.Error

// Progress is called at most ~5 times a second while bytes arrive, and once at the end. It is
// an alias so that *Client satisfies interfaces spelled with a plain func (importer.Fetcher).
type Progress = func(done, total int64)

// DefaultMaxSize is the cap used when Client.MaxSize is zero: the largest package the format allows.
const DefaultMaxSize = shaderpkg.MaxPackageSize

const (
	bufSize          = 1 << 20
	progressInterval = 200 * time.Millisecond
)

// Client downloads packages. HTTP is injected (proxy and TLS are set up by httpx).
type Client struct {
	HTTP    *http.Client
	MaxSize int64 // 0 = DefaultMaxSize
}

var reHex256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Fetch downloads url to partPath, resuming when partPath already holds a prefix of the same
// object (its strong ETag is remembered in "<partPath>.etag"); a changed object (200 instead of
// 206, or another ETag) restarts from zero. When the body is complete it checks size ==
// wantSize and sha256 == wantSHA; on a mismatch the part is deleted. On success partPath holds
// the verified zip and the sidecar is gone. An interrupted download keeps the part for the next call.
func (c *Client) Fetch(ctx context.Context, rawURL, partPath string, wantSize int64, wantSHA string, p Progress) error {
	if !reHex256.MatchString(wantSHA) {
		return &Error{Code: CodeInvalid, Msg: "want sha256 must be 64 lowercase hex digits"}
	}
	if wantSize <= 0 {
		return &Error{Code: CodeInvalid, Msg: "want size must be positive"}
	}
	if partPath == "" {
		return &Error{Code: CodeInvalid, Msg: "no part path"}
	}
	if !secureURL(rawURL) {
		return &Error{Code: CodeInvalid, Msg: "the download URL must use https (plain http only to this machine)"}
	}
	if max := c.maxSize(); wantSize > max {
		return &Error{Code: CodeTooLarge, Msg: fmt.Sprintf("package is %d bytes, the bridge accepts at most %d", wantSize, max)}
	}
	if p == nil {
		p = func(int64, int64) {}
	}
	if err := os.MkdirAll(filepath.Dir(partPath), 0o700); err != nil {
		return &Error{Code: CodeFailed, Msg: "cannot create the download directory", Err: err}
	}
	release, err := lockPart(ctx, partPath+".lock")
	if err != nil {
		return err
	}
	defer release()
	f, err := os.OpenFile(partPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return &Error{Code: CodeFailed, Msg: "cannot open the part file", Err: err}
	}
	defer f.Close()
	d := &fetch{c: c, ctx: ctx, url: rawURL, part: partPath, f: f, want: wantSize, sha: wantSHA, progress: p,
		buf: make([]byte, bufSize), h: sha256.New()}
	err = d.run()
	if err != nil {
		switch fault.CodeOf(err) {
		case CodeSizeMismatch, CodeHashMismatch:
			d.discard()
		}
		return err
	}
	return nil
}

func (c *Client) maxSize() int64 {
	if c.MaxSize > 0 {
		return c.MaxSize
	}
	return DefaultMaxSize
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

type fetch struct {
	c        *Client
	ctx      context.Context
	url      string
	part     string
	f        *os.File
	want     int64
	sha      string
	progress Progress
	buf      []byte
	h        hash.Hash
	have     int64 // bytes in the part (and in h)
	lastProg time.Time
}

func (d *fetch) etagPath() string { return d.part + ".etag" }

func (d *fetch) discard() {
	_ = d.f.Truncate(0)
	_ = os.Remove(d.part)
	_ = os.Remove(d.etagPath())
}

func (d *fetch) reset() error {
	d.h.Reset()
	d.have = 0
	_ = os.Remove(d.etagPath())
	if err := d.f.Truncate(0); err != nil {
		return &Error{Code: CodeFailed, Msg: "cannot truncate the part file", Err: err}
	}
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return &Error{Code: CodeFailed, Msg: "cannot seek the part file", Err: err}
	}
	return nil
}

func (d *fetch) run() error {
	etag, err := d.loadPart()
	if err != nil {
		return err
	}
	if d.have == d.want {
		// A complete part from an earlier call (a kill after the last byte, or a repeat).
		if d.verify() == nil {
			_ = os.Remove(d.etagPath())
			d.progress(d.have, d.want)
			return nil
		}
		if err := d.reset(); err != nil {
			return err
		}
		etag = ""
	}
	start, err := d.download(etag)
	if err != nil {
		return err
	}
	err = d.finish()
	if fault.CodeOf(err) == CodeHashMismatch && start > 0 {
		// The kept prefix was bad (a power loss before the page cache reached the disk, a server
		// that ranges differently): the signed hash decides, so fetch the object whole once.
		if err := d.reset(); err != nil {
			return err
		}
		if _, err := d.download(""); err != nil {
			return err
		}
		err = d.finish()
	}
	return err
}

// download appends the rest of the object to the part: at most two requests, since a resume
// that turns out to be stale is followed by one full GET. start is the offset the last request began at.
func (d *fetch) download(etag string) (start int64, err error) {
	for attempt := 0; ; attempt++ {
		start = d.have
		restart, err := d.request(etag)
		if err != nil {
			return start, err
		}
		if !restart {
			return start, nil
		}
		if attempt > 0 {
			return start, &Error{Code: CodeFailed, Msg: "the server keeps answering a full download with a partial one"}
		}
		if err := d.reset(); err != nil {
			return start, err
		}
		etag = ""
	}
}

// finish checks the complete part. The part is not fsynced: every Fetch re-hashes what it
// keeps, so a part damaged by a crash costs a download, never a wrong package; the extracted
// files are what must be durable (extract and cache fsync them).
func (d *fetch) finish() error {
	if d.have != d.want {
		return &Error{Code: CodeFailed, Msg: fmt.Sprintf("download ended after %d of %d bytes", d.have, d.want)}
	}
	d.progress(d.have, d.want)
	if err := d.verify(); err != nil {
		return err
	}
	_ = os.Remove(d.etagPath())
	return nil
}

// loadPart hashes what an earlier attempt left and returns its validator. A part without a
// usable validator, or longer than the object, is started over.
func (d *fetch) loadPart() (string, error) {
	st, err := d.f.Stat()
	if err != nil {
		return "", &Error{Code: CodeFailed, Msg: "cannot stat the part file", Err: err}
	}
	n := st.Size()
	etag := ""
	if b, err := os.ReadFile(d.etagPath()); err == nil {
		etag = strings.TrimSpace(string(b))
	}
	if n == 0 || n > d.want || (n < d.want && !strongETag(etag)) {
		return "", d.reset()
	}
	copied, err := io.CopyBuffer(d.h, io.NewSectionReader(d.f, 0, n), d.buf)
	if err != nil || copied != n {
		return "", d.reset()
	}
	if _, err := d.f.Seek(n, io.SeekStart); err != nil {
		return "", &Error{Code: CodeFailed, Msg: "cannot seek the part file", Err: err}
	}
	d.have = n
	return etag, nil
}

func (d *fetch) verify() error {
	if d.have != d.want {
		return &Error{Code: CodeSizeMismatch, Msg: fmt.Sprintf("got %d bytes, the signed size is %d", d.have, d.want)}
	}
	if got := hex.EncodeToString(d.h.Sum(nil)); got != d.sha {
		return &Error{Code: CodeHashMismatch, Msg: "the download does not match its signed sha256"}
	}
	return nil
}

// request performs one GET (a ranged one when etag is set) and appends the body to the part.
// restart reports that the server sent something other than the requested continuation.
func (d *fetch) request(etag string) (restart bool, err error) {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodGet, d.url, nil)
	if err != nil {
		return false, &Error{Code: CodeInvalid, Msg: "bad download URL", Err: httpx.RedactError(err)}
	}
	// Byte offsets must be those of the stored object, never of a transparently gunzipped body.
	req.Header.Set("Accept-Encoding", "identity")
	ranged := d.have > 0 && etag != ""
	if ranged {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(d.have, 10)+"-")
		req.Header.Set("If-Range", etag)
	}
	resp, err := d.c.http().Do(req)
	if err != nil {
		return false, &Error{Code: CodeFailed, Msg: "request failed", Err: httpx.RedactError(err)}
	}
	defer func() {
		// Drain a little so the connection can be reused, never a whole unwanted body.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		resp.Body.Close()
	}()
	newTag := resp.Header.Get("ETag")
	switch {
	case resp.StatusCode == http.StatusPartialContent:
		if !ranged {
			return true, nil
		}
		start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != d.have || (total >= 0 && total != d.want) || (newTag != "" && newTag != etag) {
			return true, nil
		}
	case resp.StatusCode == http.StatusOK:
		if d.have > 0 {
			// If-Range did not match: the object changed (or the server ignores ranges).
			if err := d.reset(); err != nil {
				return false, err
			}
		}
		if resp.ContentLength >= 0 && resp.ContentLength != d.want {
			return false, &Error{Code: CodeSizeMismatch, Msg: fmt.Sprintf("the server has %d bytes, the signed size is %d", resp.ContentLength, d.want)}
		}
		if strongETag(newTag) {
			// Written before the body so a kill mid-body can resume.
			if err := os.WriteFile(d.etagPath(), []byte(newTag), 0o600); err != nil {
				return false, &Error{Code: CodeFailed, Msg: "cannot write the part's validator", Err: err}
			}
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		return true, nil
	case resp.StatusCode == http.StatusBadRequest && bodyMentions(resp.Body, "ExpiredToken", "expired"):
		// S3 answers 400 ExpiredToken when the temporary credentials behind the URL ran out.
		return false, &Error{Code: CodeExpired, Msg: "the download link has expired (" + resp.Status + ")"}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return false, &Error{Code: CodeExpired, Msg: "the download link was refused (" + resp.Status + "); it may have expired"}
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return false, &Error{Code: CodeNotFound, Msg: "the package is not on the server (" + resp.Status + ")"}
	default:
		return false, &Error{Code: CodeFailed, Msg: "unexpected response " + resp.Status}
	}
	return false, d.copyBody(resp.Body)
}

// copyBody appends body to the part, hashing as it writes, and refuses more than the signed size.
func (d *fetch) copyBody(body io.Reader) error {
	for {
		n, rerr := body.Read(d.buf)
		if n > 0 {
			if d.have+int64(n) > d.want {
				return &Error{Code: CodeSizeMismatch, Msg: fmt.Sprintf("the server sent more than the signed %d bytes", d.want)}
			}
			if _, err := d.f.Write(d.buf[:n]); err != nil {
				return &Error{Code: CodeFailed, Msg: "cannot write the part file", Err: err}
			}
			d.h.Write(d.buf[:n])
			d.have += int64(n)
			if now := time.Now(); now.Sub(d.lastProg) >= progressInterval && d.have < d.want {
				d.lastProg = now
				d.progress(d.have, d.want)
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			if ctxErr := d.ctx.Err(); ctxErr != nil {
				return &Error{Code: CodeFailed, Msg: "download interrupted", Err: ctxErr}
			}
			return &Error{Code: CodeFailed, Msg: "download interrupted", Err: httpx.RedactError(rerr)}
		}
	}
}

// bodyMentions reports whether the first 4 KB of an error body contain one of words.
func bodyMentions(body io.Reader, words ...string) bool {
	b, _ := io.ReadAll(io.LimitReader(body, 4<<10))
	for _, w := range words {
		if strings.Contains(string(b), w) {
			return true
		}
	}
	return false
}

// parseContentRange reads "bytes START-END/TOTAL"; total is -1 for "*".
func parseContentRange(s string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := parseDigits(a)
	end, err2 := parseDigits(b)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		t, err := parseDigits(tot)
		if err != nil || t <= end {
			return 0, 0, false
		}
		total = t
	}
	return start, total, true
}

// parseDigits reads a non-negative decimal of ASCII digits only: RFC 9110 has no sign ("+5").
func parseDigits(s string) (int64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(s, 10, 64)
}

// secureURL is the bridge's rule for a URL it sends credentials to (httpx.SecureURL): a
// presigned URL is a bearer credential and the package is paid content (threat 16).
var secureURL = httpx.SecureURL

// strongETag reports whether tag can be used with If-Range (weak validators cannot).
func strongETag(tag string) bool {
	return len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"'
}
