package fault

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/internal/codes"
)

// A cache fill that failed because the download failed: the code is the download's (retryable),
// the message the cache's.
func TestInnermostCodeOutermostMessage(t *testing.T) {
	net := errors.New("connection reset")
	dl := &Error{Code: codes.DownloadFailed, Msg: "GET failed", Err: net}
	fill := &Error{Code: codes.CacheFillFailed, Msg: "could not fill the cache entry", Err: fmt.Errorf("fill: %w", dl)}
	err := fmt.Errorf("obtain: %w", fill)
	if CodeOf(err) != codes.DownloadFailed || !Retryable(err) {
		t.Fatalf("CodeOf = %s, retryable %v", CodeOf(err), Retryable(err))
	}
	if MessageOf(err) != "could not fill the cache entry" {
		t.Fatalf("MessageOf = %q", MessageOf(err))
	}
	if Innermost(err) != dl || Outermost(err) != fill || !errors.Is(err, net) {
		t.Fatal("the chain")
	}
	// The same fill failing on a hash mismatch is not retryable.
	bad := &Error{Code: codes.CacheFillFailed, Err: &Error{Code: codes.HashMismatch}}
	if CodeOf(bad) != codes.HashMismatch || Retryable(bad) {
		t.Fatal("hash mismatch")
	}
	// A coded error alone, inside a join, or none at all.
	if CodeOf(&Error{Code: codes.CacheIO}) != codes.CacheIO || CodeOf(errors.Join(context.Canceled, dl)) != codes.DownloadFailed {
		t.Fatal("single or joined")
	}
	if CodeOf(net) != "" || MessageOf(net) != "" || Retryable(nil) || RetryAfter(net) != 0 {
		t.Fatal("uncoded")
	}
	rl := fmt.Errorf("report: %w", &Error{Code: codes.RateLimitExceeded, Status: 429, RetryAfter: 3 * time.Second})
	if !Retryable(rl) || RetryAfter(rl) != 3*time.Second {
		t.Fatal("rate limit")
	}
}

// A Final error is a decision about its causes: an import that failed on a hash mismatch is
// CHECKSUM_MISMATCH, and a retryable cause inside a decided failure is not retried.
func TestFinalErrorKeepsItsCode(t *testing.T) {
	hash := &Error{Code: codes.HashMismatch, Msg: "sha256 differs"}
	failed := &Error{Code: codes.ChecksumMismatch, Msg: "the package did not match", Err: fmt.Errorf("fetch: %w", hash), Final: true}
	err := fmt.Errorf("import: %w", failed)
	if CodeOf(err) != codes.ChecksumMismatch || Innermost(err) != failed || Decided(err) != failed || !errors.Is(err, hash) {
		t.Fatalf("CodeOf = %s", CodeOf(err))
	}
	paywall := &Error{Code: codes.SubscriptionRequired, Final: true, Err: &Error{Code: codes.Network, RetryAfter: time.Second}}
	if Retryable(paywall) || RetryAfter(paywall) != 0 {
		t.Fatal("a decided failure is retried")
	}
	// A cause is no decision, however deep; a decision wrapped by a cause still decides.
	if Decided(&Error{Code: codes.CacheFillFailed, Err: hash}) != nil || Decided(errors.New("x")) != nil {
		t.Fatal("a cause taken for a decision")
	}
	if Decided(&Error{Code: codes.CacheIO, Err: failed}) != failed {
		t.Fatal("a wrapped decision")
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Code: codes.ArchiveLink, Entry: "textures/x", Msg: "a symlink", RequestID: "r1", Err: errors.New("cause")}
	if got := e.Error(); got != "ARCHIVE_LINK: textures/x: a symlink (request r1): cause" {
		t.Fatal(got)
	}
	if got := (&Error{Code: codes.Network, Topic: "realtime:device:1", Msg: "refused"}).Error(); got != "NETWORK: realtime:device:1: refused" {
		t.Fatal(got)
	}
	if got := (&Error{Code: codes.Network}).Error(); got != "NETWORK" {
		t.Fatal(got)
	}
}
