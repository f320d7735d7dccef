package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

func errorsIsCanceled(err error) bool { return errors.Is(err, context.Canceled) }

// recorder is a RoundTripper that remembers the status of every response and can cancel a
// context after a number of body bytes (a download killed part-way).
type recorder struct {
	next     http.RoundTripper
	mu       sync.Mutex
	statuses []int
	limit    int64
	cancel   context.CancelFunc
}

func cancelAfter(next http.RoundTripper, n int64, cancel context.CancelFunc) *recorder {
	return &recorder{next: next, limit: n, cancel: cancel}
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.statuses = append(r.statuses, resp.StatusCode)
	r.mu.Unlock()
	if r.cancel != nil {
		resp.Body = &cancelBody{ReadCloser: resp.Body, left: r.limit, cancel: r.cancel}
	}
	return resp, nil
}

func (r *recorder) codes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.statuses...)
}

type cancelBody struct {
	io.ReadCloser
	left   int64
	cancel context.CancelFunc
}

func (b *cancelBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.cancel()
		return 0, context.Canceled
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// TestFetchFromS3 runs against the local versitygw through a real presigned URL: a full fetch,
// a download cut after N bytes that resumes with 206, and an object replaced between attempts.
func TestFetchFromS3(t *testing.T) {
	s3c := testenv.S3(t)
	ctx := context.Background()
	key := fmt.Sprintf("test/download-%d.zip", time.Now().UnixNano())
	put := func(data []byte) {
		t.Helper()
		s3c.PutObject(t, key, data, "application/zip")
	}
	presigner := s3.NewPresignClient(s3c.Client(t))
	presign := func() string {
		t.Helper()
		pu, err := presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3c.Bucket), Key: aws.String(key)}, s3.WithPresignExpires(5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return pu.URL
	}

	v1 := blob(6<<20+11, 20)
	put(v1)
	dir := t.TempDir()

	t.Run("full", func(t *testing.T) {
		part := filepath.Join(dir, "full.part")
		if err := (&Client{}).Fetch(ctx, presign(), part, int64(len(v1)), shaHex(v1), nil); err != nil {
			t.Fatal(err)
		}
		mustContent(t, part, v1)
	})

	part := filepath.Join(dir, "resume.part")
	t.Run("killed then resumed", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cut := cancelAfter(http.DefaultTransport, 2<<20, cancel)
		err := (&Client{HTTP: &http.Client{Transport: cut}}).Fetch(cctx, presign(), part, int64(len(v1)), shaHex(v1), nil)
		wantCode(t, err, CodeFailed)
		st, err := os.Stat(part)
		if err != nil || st.Size() != 2<<20 {
			t.Fatalf("part after the cut: %v %v", st, err)
		}
		if _, err := os.Stat(part + ".etag"); err != nil {
			t.Fatalf("no validator saved: %v", err)
		}
		rec := &recorder{next: http.DefaultTransport}
		if err := (&Client{HTTP: &http.Client{Transport: rec}}).Fetch(ctx, presign(), part, int64(len(v1)), shaHex(v1), nil); err != nil {
			t.Fatal(err)
		}
		mustContent(t, part, v1)
		if c := rec.codes(); len(c) != 1 || c[0] != http.StatusPartialContent {
			t.Fatalf("resume statuses %v, want [206]", c)
		}
	})

	t.Run("object replaced between attempts", func(t *testing.T) {
		os.Remove(part)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cut := cancelAfter(http.DefaultTransport, 1<<20, cancel)
		_ = (&Client{HTTP: &http.Client{Transport: cut}}).Fetch(cctx, presign(), part, int64(len(v1)), shaHex(v1), nil)
		v2 := blob(5<<20+3, 21)
		put(v2)
		rec := &recorder{next: http.DefaultTransport}
		if err := (&Client{HTTP: &http.Client{Transport: rec}}).Fetch(ctx, presign(), part, int64(len(v2)), shaHex(v2), nil); err != nil {
			t.Fatal(err)
		}
		mustContent(t, part, v2)
		if c := rec.codes(); len(c) == 0 || c[len(c)-1] != http.StatusOK {
			t.Fatalf("statuses %v: the changed object was not fetched whole", c)
		}
	})

	t.Run("expired URL", func(t *testing.T) {
		pu, err := presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s3c.Bucket), Key: aws.String(key)}, s3.WithPresignExpires(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2100 * time.Millisecond)
		err = (&Client{}).Fetch(ctx, pu.URL, filepath.Join(dir, "exp.part"), 10, shaHex(nil), nil)
		wantCode(t, err, CodeExpired)
	})
}

const childEnv = "OCTANE_DOWNLOAD_CHILD"

// TestMain turns the test binary into the child of TestFetchResumesAfterSIGKILL when asked to
// (a helper process, not a skipped test).
func TestMain(m *testing.M) {
	if args := strings.Split(os.Getenv(childEnv), "\n"); len(args) == 4 {
		size, _ := strconv.ParseInt(args[2], 10, 64)
		err := (&Client{}).Fetch(context.Background(), args[0], args[1], size, args[3], nil)
		fmt.Fprintf(os.Stderr, "the child should have been killed, Fetch returned %v\n", err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// TestFetchResumesAfterSIGKILL kills a process mid-download with SIGKILL; a fresh Fetch resumes
// from what the dead process wrote and the result verifies.
func TestFetchResumesAfterSIGKILL(t *testing.T) {
	data := blob(8<<20, 30)
	obj, u := newObject(t, data)
	obj.serveSlowly()
	part := filepath.Join(t.TempDir(), "k.part")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{u, part, strconv.Itoa(len(data)), shaHex(data)}, "\n"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := os.Stat(part)
		if err == nil && st.Size() >= 1<<20 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child did not start downloading")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred cleanup runs
		t.Fatal(err)
	}
	_ = cmd.Wait()
	st, _ := os.Stat(part)
	if st.Size() >= int64(len(data)) {
		t.Fatalf("the child finished before it was killed (%d bytes)", st.Size())
	}
	if err := (&Client{}).Fetch(context.Background(), u, part, int64(len(data)), shaHex(data), nil); err != nil {
		t.Fatal(err)
	}
	mustContent(t, part, data)
	reqs := obj.log()
	last := reqs[len(reqs)-1]
	if !strings.HasPrefix(last, "bytes=") || !strings.HasSuffix(last, "|"+obj.etag) {
		t.Fatalf("the fresh fetch did not resume: %q", last)
	}
}
