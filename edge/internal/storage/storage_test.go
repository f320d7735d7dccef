package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

func newTestPresigner(t *testing.T, lim Limits) *Presigner {
	t.Helper()
	c := testenv.S3(t)
	p, err := New(Config{Endpoint: c.Endpoint, Region: c.Region, AccessKey: c.AccessKey, SecretKey: c.SecretKey, Bucket: c.Bucket}, lim)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// slug gives each test its own keys so parallel runs never collide.
func slug() string { return "t-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20] }

func randBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func hexsum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

type result struct {
	status int
	body   string
}

func send(t *testing.T, method, u string, headers map[string]string, body []byte) result {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Length") {
			n, _ := strconv.ParseInt(v, 10, 64)
			req.ContentLength = n
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, string(b)}
}

func put(t *testing.T, sr *SignedRequest, body []byte, change func(h map[string]string)) result {
	h := map[string]string{}
	for k, v := range sr.Headers {
		h[k] = v
	}
	if change != nil {
		change(h)
	}
	return send(t, sr.Method, sr.URL, h, body)
}

func seedObject(t *testing.T, p *Presigner, key string, body []byte) {
	t.Helper()
	ctx := context.Background()
	if _, err := p.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(p.bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("application/zip")}); err != nil {
		t.Fatal(err)
	}
	removeLater(t, p, key)
}

func removeLater(t *testing.T, p *Presigner, key string) {
	t.Cleanup(func() {
		_, _ = p.client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(p.bucket), Key: aws.String(key)})
	})
}

// getObject reads a stored object and its content type.
func getObject(t *testing.T, p *Presigner, key string) ([]byte, string) {
	t.Helper()
	out, err := p.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(p.bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, aws.ToString(out.ContentType)
}

func objectExists(p *Presigner, key string) bool {
	_, err := p.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(p.bucket), Key: aws.String(key)})
	return err == nil
}

func TestPresignedGetDownloadsTheObject(t *testing.T) {
	t.Parallel()
	p := newTestPresigner(t, Limits{})
	key := Key(KindPackage, slug(), "1.0.0")
	body := randBytes(t, 4096)
	seedObject(t, p, key, body)
	u, exp, err := p.PresignGet(context.Background(), key, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 55*time.Second || d > 61*time.Second {
		t.Errorf("expires in %v, want about 60s", d)
	}
	r := send(t, http.MethodGet, u, nil, nil)
	if r.status != 200 || r.body != string(body) {
		t.Fatalf("GET = %d (%d bytes), want 200 with the object", r.status, len(r.body))
	}
}

func TestPresignedGetNeverOutlivesFiveMinutes(t *testing.T) {
	t.Parallel()
	p := newTestPresigner(t, Limits{})
	for _, ttl := range []time.Duration{0, time.Hour, -time.Second} {
		u, _, err := p.PresignGet(context.Background(), "packages/x/1.0.0.zip", ttl)
		if err != nil {
			t.Fatal(err)
		}
		pu, _ := url.Parse(u)
		if got := pu.Query().Get("X-Amz-Expires"); got != "300" {
			t.Errorf("ttl %v: X-Amz-Expires = %s, want 300", ttl, got)
		}
	}
}

func TestPresignedGetExpires(t *testing.T) {
	t.Parallel()
	p := newTestPresigner(t, Limits{})
	key := Key(KindPackage, slug(), "1.0.0")
	seedObject(t, p, key, []byte("zip bytes"))
	// 3 s leaves room for a loaded CI machine between presigning and the first GET.
	u, _, err := p.PresignGet(context.Background(), key, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r := send(t, http.MethodGet, u, nil, nil); r.status != 200 {
		t.Fatalf("fresh URL: %d %s", r.status, r.body)
	}
	time.Sleep(4100 * time.Millisecond)
	r := send(t, http.MethodGet, u, nil, nil)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "AccessDenied") && !strings.Contains(r.body, "xpired") {
		t.Fatalf("expired URL: %d %s, want 403 (expired)", r.status, r.body)
	}
}

func TestPresignedGetTamperedURLIsRefused(t *testing.T) {
	t.Parallel()
	p := newTestPresigner(t, Limits{})
	key := Key(KindPackage, slug(), "1.0.0")
	seedObject(t, p, key, []byte("zip bytes"))
	other := Key(KindPackage, slug(), "1.0.0")
	seedObject(t, p, other, []byte("someone else's package"))
	u, _, err := p.PresignGet(context.Background(), key, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pu, _ := url.Parse(u)
	q := pu.Query()
	sig := []byte(q.Get("X-Amz-Signature"))
	if sig[0] == '0' {
		sig[0] = '1'
	} else {
		sig[0] = '0'
	}
	cases := map[string]func(pu *url.URL){
		"flipped signature": func(pu *url.URL) { q := pu.Query(); q.Set("X-Amz-Signature", string(sig)); pu.RawQuery = q.Encode() },
		"longer expiry":     func(pu *url.URL) { q := pu.Query(); q.Set("X-Amz-Expires", "3600"); pu.RawQuery = q.Encode() },
		"other key":         func(pu *url.URL) { pu.Path = "/" + p.bucket + "/" + other },
		"no signature":      func(pu *url.URL) { q := pu.Query(); q.Del("X-Amz-Signature"); pu.RawQuery = q.Encode() },
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			c := *pu
			tamper(&c)
			r := send(t, http.MethodGet, c.String(), nil, nil)
			if r.status != http.StatusForbidden && r.status != http.StatusBadRequest {
				t.Fatalf("GET = %d %s, want 403", r.status, r.body)
			}
			if strings.Contains(r.body, "someone else") || strings.Contains(r.body, "zip bytes") {
				t.Fatal("tampered URL returned object content")
			}
		})
	}
}

func TestPresignedPutStoresExactlyTheAgreedObject(t *testing.T) {
	t.Parallel()
	p := newTestPresigner(t, Limits{})
	body := randBytes(t, 64<<10)
	req := UploadRequest{Kind: KindPackage, ShaderID: slug(), Version: "1.2.3", Size: int64(len(body)), SHA256: hexsum(body)}
	up, err := p.PresignUpload(context.Background(), req, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	removeLater(t, p, up.Key)
	if up.Single == nil || up.UploadID != "" || up.Key != "packages/"+req.ShaderID+"/1.2.3.zip" {
		t.Fatalf("upload = %+v, want a single PUT to the package key", up)
	}
	pu, _ := url.Parse(up.Single.URL)
	signed := pu.Query().Get("X-Amz-SignedHeaders")
	for _, h := range []string{"content-length", "content-type", "x-amz-checksum-sha256", "host"} {
		if !strings.Contains(signed, h) {
			t.Errorf("signed headers %q lack %s", signed, h)
		}
	}
	tampered := randBytes(t, len(body))
	refusals := []struct {
		name   string
		body   []byte
		change func(map[string]string)
		status int
		code   string
	}{
		{"different body, same length", tampered, nil, 400, "BadDigest"},
		{"different length", append(append([]byte{}, body...), 'x'), func(h map[string]string) { h["Content-Length"] = strconv.Itoa(len(body) + 1) }, 403, "SignatureDoesNotMatch"},
		{"shorter body", body[:len(body)-1], func(h map[string]string) { h["Content-Length"] = strconv.Itoa(len(body) - 1) }, 403, "SignatureDoesNotMatch"},
		{"different type", body, func(h map[string]string) { h["Content-Type"] = "text/html" }, 403, "SignatureDoesNotMatch"},
		{"checksum of another body", tampered, func(h map[string]string) { h["X-Amz-Checksum-Sha256"] = b64sha(hexsum(tampered)) }, 403, "SignatureDoesNotMatch"},
		{"checksum header dropped", body, func(h map[string]string) { delete(h, "X-Amz-Checksum-Sha256") }, 403, "SignatureDoesNotMatch"},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			r := put(t, up.Single, c.body, c.change)
			if r.status != c.status || !strings.Contains(r.body, c.code) {
				t.Fatalf("PUT = %d %s, want %d %s", r.status, r.body, c.status, c.code)
			}
			if objectExists(p, up.Key) {
				t.Fatal("a refused upload left an object behind")
			}
		})
	}
	// Another key with the same signature is refused too.
	other := *up.Single
	other.URL = strings.Replace(up.Single.URL, req.ShaderID, slug(), 1)
	if r := put(t, &other, body, nil); r.status != 403 {
		t.Fatalf("PUT to another key = %d %s, want 403", r.status, r.body)
	}

	if r := put(t, up.Single, body, nil); r.status != 200 {
		t.Fatalf("PUT as signed = %d %s, want 200", r.status, r.body)
	}
	got, ctype := getObject(t, p, up.Key)
	if !bytes.Equal(got, body) {
		t.Fatalf("stored object differs (%d bytes)", len(got))
	}
	if ctype != "application/zip" {
		t.Errorf("content type = %q", ctype)
	}
}

func TestUploadRequestsAreValidatedAndLimited(t *testing.T) {
	t.Parallel()
	p, err := New(Config{Endpoint: "http://127.0.0.1:1", Region: "us-east-1", AccessKey: "a", SecretKey: "b", Bucket: "octane-test"}, Limits{PackageMax: 10 << 20, PreviewMax: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	sum := hexsum([]byte("x"))
	ok := UploadRequest{Kind: KindPreview, ShaderID: "brushed-steel", Version: "1.0.0", Size: 1 << 20, SHA256: sum}
	if _, err := p.PresignUpload(context.Background(), ok, time.Minute); err != nil {
		t.Fatalf("preview at the limit: %v", err)
	}
	bad := []struct {
		field string
		edit  func(r *UploadRequest)
	}{
		{"size", func(r *UploadRequest) { r.Size = 1<<20 + 1 }},
		{"size", func(r *UploadRequest) { r.Kind = KindPackage; r.Size = 10<<20 + 1 }},
		{"size", func(r *UploadRequest) { r.Size = 0 }},
		{"kind", func(r *UploadRequest) { r.Kind = "script" }},
		{"shader_id", func(r *UploadRequest) { r.ShaderID = "../etc" }},
		{"shader_id", func(r *UploadRequest) { r.ShaderID = "Brushed/Steel" }},
		{"version", func(r *UploadRequest) { r.Version = "1.0.0/../../x" }},
		{"sha256", func(r *UploadRequest) { r.SHA256 = strings.ToUpper(sum) }},
	}
	for _, c := range bad {
		r := ok
		c.edit(&r)
		_, err := p.PresignUpload(context.Background(), r, time.Minute)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("%+v: err = %v, want InputError on %s", r, err, c.field)
		}
	}
}

func TestMultipartUploadWithPresignedParts(t *testing.T) {
	t.Parallel()
	const part = 5 << 20
	p := newTestPresigner(t, Limits{MultipartThreshold: part, PartSize: part, PackageMax: 4 * part})
	body := randBytes(t, 2*part+1234)
	req := UploadRequest{Kind: KindPackage, ShaderID: slug(), Version: "2.0.0", Size: int64(len(body)), SHA256: hexsum(body)}
	ctx := context.Background()
	up, err := p.PresignUpload(ctx, req, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	removeLater(t, p, up.Key)
	if up.Single != nil || up.UploadID == "" || up.PartCount != 3 || up.PartSize != part {
		t.Fatalf("upload = %+v, want 3 parts", up)
	}
	// A part must have its slot's exact size.
	if _, err := p.PresignPart(ctx, req, up.UploadID, PartRequest{Number: 1, Size: part - 1, SHA256: hexsum(body[:part-1])}, time.Minute); err == nil {
		t.Fatal("short first part was presigned")
	}
	if _, err := p.PresignPart(ctx, req, up.UploadID, PartRequest{Number: 4, Size: 1, SHA256: hexsum(body[:1])}, time.Minute); err == nil {
		t.Fatal("part beyond the declared size was presigned")
	}
	var done []CompletedPart
	for i := 0; i < up.PartCount; i++ {
		chunk := body[i*part : min((i+1)*part, len(body))]
		sr, err := p.PresignPart(ctx, req, up.UploadID, PartRequest{Number: i + 1, Size: int64(len(chunk)), SHA256: hexsum(chunk)}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			pu, _ := url.Parse(sr.URL)
			signed := pu.Query().Get("X-Amz-SignedHeaders")
			for _, h := range []string{"content-length", "x-amz-checksum-sha256", "host"} {
				if !strings.Contains(signed, h) {
					t.Errorf("part: signed headers %q lack %s", signed, h)
				}
			}
			// Each part is held to its checksum like a single upload.
			forged := append([]byte{}, chunk...)
			forged[0] ^= 1
			if r := put(t, sr, forged, nil); r.status != 400 || !strings.Contains(r.body, "BadDigest") {
				t.Fatalf("forged part = %d %s, want 400 BadDigest", r.status, r.body)
			}
		}
		h := map[string]string{}
		for k, v := range sr.Headers {
			h[k] = v
		}
		req2, _ := http.NewRequest(sr.Method, sr.URL, bytes.NewReader(chunk))
		for k, v := range h {
			if k != "Content-Length" {
				req2.Header.Set(k, v)
			}
		}
		req2.ContentLength = int64(len(chunk))
		resp, err := http.DefaultClient.Do(req2)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("part %d = %d %s", i+1, resp.StatusCode, b)
		}
		done = append(done, CompletedPart{Number: i + 1, ETag: strings.Trim(resp.Header.Get("ETag"), `"`), SHA256: hexsum(chunk)})
	}
	if err := p.Complete(ctx, req, up.UploadID, done); err != nil {
		t.Fatal(err)
	}
	got, ctype := getObject(t, p, up.Key)
	if ctype != "application/zip" {
		t.Errorf("content type = %q, want the one the upload was started with", ctype)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("assembled object differs: %d bytes, want %d", len(got), len(body))
	}
}

// In production there is no endpoint and no static key: the bucket is addressed on AWS S3 for the
// region, and the keys come from the standard AWS credential chain (here its environment step).
// Nothing is contacted to presign.
func TestProductionUsesAWSEndpointAndCredentialChain(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIACHAINEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "chain-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	p, err := New(Config{Bucket: "octane-prod"}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := p.PresignGet(context.Background(), "packages/brushed-steel/1.0.0.zip", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	pu, _ := url.Parse(u)
	if pu.Scheme != "https" || pu.Host != "octane-prod.s3.eu-central-1.amazonaws.com" || pu.Path != "/packages/brushed-steel/1.0.0.zip" {
		t.Errorf("URL = %s, want virtual-hosted https on AWS S3 in eu-central-1", u)
	}
	if c := pu.Query().Get("X-Amz-Credential"); !strings.HasPrefix(c, "AKIACHAINEXAMPLE/") || !strings.Contains(c, "/eu-central-1/s3/") {
		t.Errorf("X-Amz-Credential = %q, want the chain's key in eu-central-1", c)
	}
	// An explicit region and endpoint win (the local stack), path-style.
	p, err = New(Config{Endpoint: "http://127.0.0.1:9000", Region: "us-east-1", Bucket: "octane-packages"}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	u, _, _ = p.PresignGet(context.Background(), "k.zip", time.Minute)
	if !strings.HasPrefix(u, "http://127.0.0.1:9000/octane-packages/k.zip?") || !strings.Contains(u, "%2Fus-east-1%2Fs3%2F") {
		t.Errorf("URL = %s, want path-style on the custom endpoint in us-east-1", u)
	}
	for _, bad := range []Config{
		{Bucket: "b", Endpoint: "127.0.0.1:9000"},
		{Bucket: "b", AccessKey: "only-the-id"},
		{Endpoint: "http://127.0.0.1:9000"},
	} {
		if _, err := New(bad, Limits{}); err == nil {
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}

// The page's uploads (incoming) always go in parts; the same file finds its unfinished upload
// again with the parts S3 already holds and their SHA-256, so a resume uploads only the others.
func TestIncomingUploadResumesFromStoredParts(t *testing.T) {
	t.Parallel()
	const part = 5 << 20
	p := newTestPresigner(t, Limits{MultipartThreshold: 4 * part, PartSize: part, IncomingPartSize: part, PackageMax: 4 * part})
	body := randBytes(t, 2*part+99)
	req := UploadRequest{Kind: KindIncoming, ID: hexsum(body[:part]), Size: int64(len(body))}
	ctx := context.Background()
	if _, err := p.PresignUpload(ctx, UploadRequest{Kind: KindIncoming, ID: "x", Size: 1}, time.Minute); err == nil {
		t.Fatal("an incoming upload without a 64 hex id was accepted")
	}
	if _, err := p.PresignUpload(ctx, UploadRequest{Kind: KindIncoming, ID: req.ID, Size: 1, ShaderID: "oak"}, time.Minute); err == nil {
		t.Fatal("an incoming upload naming a shader was accepted")
	}
	up, err := p.PresignUpload(ctx, req, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Abort(context.Background(), req, up.UploadID) })
	removeLater(t, p, up.Key)
	if up.Key != "incoming/"+req.ID+".zip" || up.Single != nil || up.PartCount != 3 || up.PartSize != part {
		t.Fatalf("upload = %+v, want 3 parts under incoming/", up)
	}
	chunk := func(n int) []byte { return body[(n-1)*part : min(n*part, len(body))] }
	putPart := func(n int) CompletedPart {
		sr, err := p.PresignPart(ctx, req, up.UploadID, PartRequest{Number: n, Size: int64(len(chunk(n))), SHA256: hexsum(chunk(n))}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		req2, _ := http.NewRequest(sr.Method, sr.URL, bytes.NewReader(chunk(n)))
		for k, v := range sr.Headers {
			if k != "Content-Length" {
				req2.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req2)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("part %d = %d", n, resp.StatusCode)
		}
		return CompletedPart{Number: n, ETag: strings.Trim(resp.Header.Get("ETag"), `"`), SHA256: hexsum(chunk(n))}
	}
	first := putPart(1)

	if len(up.StoredParts) != 0 {
		t.Fatalf("a new upload lists stored parts %+v", up.StoredParts)
	}
	// The tab is closed. The same file again: the same upload, part 1 stored with its checksum.
	again, err := p.PresignUpload(ctx, req, time.Minute)
	if err != nil || again.UploadID != up.UploadID {
		t.Fatalf("resume = %+v, %v; want upload %s", again, err, up.UploadID)
	}
	stored := again.StoredParts
	if len(stored) != 1 || stored[0].Number != 1 || stored[0].Size != part || stored[0].SHA256 != first.SHA256 || stored[0].ETag != first.ETag {
		t.Fatalf("stored parts = %+v, want part 1 %+v", stored, first)
	}
	done := []CompletedPart{{Number: 1, ETag: stored[0].ETag, SHA256: stored[0].SHA256}, putPart(2), putPart(3)}
	// Completing with fewer parts than tile the size would store a truncated object: refused.
	var inErr *InputError
	if err := p.Complete(ctx, req, up.UploadID, done[:2]); !errors.As(err, &inErr) || inErr.Field != "parts" {
		t.Fatalf("completing with 2 of 3 parts = %v, want an InputError on parts", err)
	}
	if err := p.Complete(ctx, req, up.UploadID, done); err != nil {
		t.Fatal(err)
	}
	if got, _ := getObject(t, p, up.Key); !bytes.Equal(got, body) {
		t.Fatalf("assembled object differs: %d bytes, want %d", len(got), len(body))
	}
	// Completed: a new upload of the same file starts afresh.
	if next, err := p.PresignUpload(ctx, req, time.Minute); err != nil || next.UploadID == up.UploadID {
		t.Fatalf("after completion = %+v, %v", next, err)
	} else {
		_ = p.Abort(ctx, req, next.UploadID)
	}
}
