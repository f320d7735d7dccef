package publishing

import (
	"bytes"
	"context"
	"crypto/rand"
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
