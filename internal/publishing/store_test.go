package publishing

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// The S3 store sends the SHA-256 and the server refuses a body that does not match it.
func TestS3StoreChecksIntegrity(t *testing.T) {
	s3c := testenv.S3(t)
	st, err := NewS3Store(S3Config(s3c))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	body := []byte("package bytes")
	key := "test/" + rand.Text() + ".bin"
	if err := st.Put(ctx, key, bytes.NewReader(body), int64(len(body)), "application/octet-stream", SHA256Hex(body)); err != nil {
		t.Fatal(err)
	}
	err = st.Put(ctx, key+"x", bytes.NewReader(body), int64(len(body)), "application/octet-stream", SHA256Hex([]byte("other")))
	if err == nil {
		t.Fatal("upload with a wrong SHA-256 was accepted")
	}
	t.Logf("refused as expected: %v", err)
}

// The local stack's bucket CORS lets a page on a loopback origin PUT a part and read its ETag,
// and nobody else.
func TestAllowBrowserUploadsLetsLoopbackPagesPut(t *testing.T) {
	s3c := testenv.S3(t)
	st, err := NewS3Store(S3Config(s3c))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AllowBrowserUploads(context.Background(), "http://127.0.0.1:*", "http://localhost:*"); err != nil {
		t.Fatal(err)
	}
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, s3c.Endpoint+"/"+s3c.Bucket+"/incoming/x.zip?partNumber=1&uploadId=y", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "PUT")
		req.Header.Set("Access-Control-Request-Headers", "x-amz-checksum-sha256")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	ok := preflight("http://127.0.0.1:3011")
	if ok.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(strings.ToLower(ok.Header.Get("Access-Control-Expose-Headers")), "etag") {
		t.Fatalf("loopback page: %d %v", ok.StatusCode, ok.Header)
	}
	if other := preflight("https://evil.example"); other.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("another origin was allowed: %v", other.Header)
	}
}
