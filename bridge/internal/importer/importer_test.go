package importer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// Unit tests of the pipeline's decisions with in-memory parts; the real download, extraction,
// cache and edge are exercised together in bridge/internal/agent's integration test.

type fakeEdge struct {
	mu         sync.Mutex
	kr         *shaderpkg.SigningKeyring
	sha        string
	redeemErr  []error // consumed one per Redeem call
	reissues   int
	reissueErr error // returned by every Reissue when set
	redeemed   []string
	redeliver  []string
	reports    []string
	otherID    bool
	serverTime time.Time // the edge's clock (its Date header); zero: the same as the test's
	// onReport runs before a report is taken (outside the lock): it may hold it, or refuse it.
	onReport func(status string) error
}

func (e *fakeEdge) Redeem(_ context.Context, id, token string) (Delivered, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.redeemErr) > 0 {
		err := e.redeemErr[0]
		e.redeemErr = e.redeemErr[1:]
		if err != nil {
			return Delivered{}, err
		}
	}
	if token == "" {
		return Delivered{}, errors.New("empty token reached Redeem")
	}
	e.redeemed = append(e.redeemed, id)
	return e.delivery(id)
}

func (e *fakeEdge) Redeliver(_ context.Context, id string) (Delivered, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.redeliver = append(e.redeliver, id)
	return e.delivery(id)
}

func (e *fakeEdge) delivery(id string) (Delivered, error) {
	did := id
	if e.otherID {
		did = "someone-else"
	}
	now := time.Now()
	if !e.serverTime.IsZero() {
		now = e.serverTime
	}
	d := shaderpkg.Delivery{V: 1, ImportID: did, ShaderID: "s1", Version: "1.0.0", SHA256: e.sha, Size: 10,
		MaterialName: "OB_Test", Files: []shaderpkg.File{{Path: "material.blend", SHA256: strings.Repeat("a", 64), Size: 1}},
		IssuedAt: now.Unix(), ExpiresAt: now.Add(5 * time.Minute).Unix()}
	s, err := shaderpkg.SignDelivery(e.kr, d)
	return Delivered{URL: "https://s3.example/pkg?X-Amz-Signature=secret", Signed: s, ServerTime: e.serverTime}, err
}

func (e *fakeEdge) Reissue(context.Context, string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.reissues++
	if e.reissueErr != nil {
		return "", e.reissueErr
	}
	return "fresh-token", nil
}

func (e *fakeEdge) Report(_ context.Context, id, status string, progress int, code, _ string) error {
	if e.onReport != nil {
		if err := e.onReport(status); err != nil {
			return err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r := status
	if code != "" {
		r += ":" + code
	}
	if status != "downloading" || len(e.reports) == 0 || !strings.HasPrefix(e.reports[len(e.reports)-1], "downloading") {
		e.reports = append(e.reports, r) // progress updates collapse into one entry
	}
	return nil
}

func (e *fakeEdge) got() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.reports)
}

type fakeFetch struct {
	calls   atomic.Int32
	running atomic.Int32
	peak    atomic.Int32
	err     error
	hold    time.Duration
	stall   atomic.Bool // the first call hangs after a little progress until cancelled
}

func (f *fakeFetch) Fetch(ctx context.Context, url, part string, size int64, sha string, progress func(int64, int64)) error {
	f.calls.Add(1)
	n := f.running.Add(1)
	defer f.running.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(f.hold)
	if f.stall.CompareAndSwap(true, false) {
		progress(1, size)
		<-ctx.Done()
		return ctx.Err()
	}
	progress(size/2, size)
	progress(size, size)
	if f.err != nil {
		return f.err
	}
	return os.WriteFile(part, []byte("zip"), 0o600)
}

type fakeStore struct {
	dir        string
	mu         sync.Mutex
	has        map[string]bool
	discarded  []string
	discardErr error
}

func (s *fakeStore) Discard(sha string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.discarded = append(s.discarded, sha)
	if s.discardErr != nil {
		return s.discardErr
	}
	delete(s.has, sha)
	return nil
}

func (s *fakeStore) Lookup(sha string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return filepath.Join(s.dir, sha), s.has[sha]
}
func (s *fakeStore) Install(sha string, fill func(string) error) (string, error) {
	tmp, _ := os.MkdirTemp(s.dir, "tmp-")
	if err := fill(tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.has[sha] = true
	return filepath.Join(s.dir, sha), os.Rename(tmp, filepath.Join(s.dir, sha))
}
func (s *fakeStore) PartPath(sha string) string { return filepath.Join(s.dir, sha+".part") }
func (s *fakeStore) Pin(string) func()          { return func() {} }

type fakeBlender struct {
	mu       sync.Mutex
	got      []stdio.Import
	fail     *fault.Error
	imported chan struct{} // closed at the first import (nil: none)
}

func (b *fakeBlender) Import(_ context.Context, req stdio.Import) (stdio.Imported, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, req)
	if len(b.got) == 1 && b.imported != nil {
		close(b.imported)
	}
	if b.fail != nil {
		return stdio.Imported{}, b.fail
	}
	return stdio.Imported{ImportID: req.ImportID, MaterialName: req.MaterialName}, nil
}

type notes struct {
	mu     sync.Mutex
	stages []string
	finals chan stdio.ImportStatus
}

func (n *notes) Progress(p stdio.Progress) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.stages) == 0 || n.stages[len(n.stages)-1] != p.Stage {
		n.stages = append(n.stages, p.Stage)
	}
}
func (n *notes) Final(s stdio.ImportStatus) { n.finals <- s }

type rig struct {
	now     func() time.Time
	log     *slog.Logger // nil: discarded
	free    func(string) (uint64, error)
	verify  *verified
	edge    *fakeEdge
	fetch   *fakeFetch
	store   *fakeStore
	blender *fakeBlender
	notes   *notes
	p       *Pipeline
}

func newRig(t *testing.T) *rig {
	kr := shaderpkg.LocalDevKeyring()
	r := &rig{
		verify:  &verified{},
		edge:    &fakeEdge{kr: kr, sha: strings.Repeat("b", 64)},
		fetch:   &fakeFetch{},
		store:   &fakeStore{dir: t.TempDir(), has: map[string]bool{}},
		blender: &fakeBlender{},
		notes:   &notes{finals: make(chan stdio.ImportStatus, 16)},
	}
	return r
}

func (r *rig) start(t *testing.T, extract ExtractFunc) { r.startFull(t, extract, nil) }

// verified is what the rig's Verify saw and answers (nil: every entry is intact).
type verified struct {
	mu    sync.Mutex
	calls [][]shaderpkg.File
	bad   bool // the entry was tampered with (until discarded)
}

func (r *rig) startWith(t *testing.T, claim func(string) (func(), bool)) { r.startFull(t, nil, claim) }

func (r *rig) startFull(t *testing.T, extract ExtractFunc, claim func(string) (func(), bool)) {
	if extract == nil {
		extract = func(_ context.Context, zip, dir string, _ []shaderpkg.File) error {
			return os.WriteFile(filepath.Join(dir, "material.blend"), []byte("blend"), 0o600)
		}
	}
	r.p = New(Config{Edge: r.edge, Fetch: r.fetch, Cache: r.store, Extract: extract, Blender: r.blender, Notify: r.notes,
		Classify: func(err error) (string, bool) {
			switch {
			case strings.Contains(err.Error(), "hash"):
				return "HASH_MISMATCH", false
			case strings.Contains(err.Error(), "zip slip"):
				return "ARCHIVE_UNSAFE_PATH", false
			case strings.Contains(err.Error(), "permission"):
				return "EXTRACT_IO", false
			}
			return "DOWNLOAD_FAILED", true
		},
		Now:     r.now,
		Log:     r.log,
		Trusted: shaderpkg.LocalDevKeyring().PublicKeys(), Backoff: time.Millisecond, MaxWait: 5 * time.Millisecond, StallTimeout: 100 * time.Millisecond,
		Claim:     claim,
		FreeSpace: r.free,
		Verify: func(_ context.Context, dir string, files []shaderpkg.File) error {
			r.verify.mu.Lock()
			defer r.verify.mu.Unlock()
			r.verify.calls = append(r.verify.calls, files)
			if r.verify.bad {
				return errors.New("ARCHIVE_MISMATCH: material.blend: content differs from the signed sha256")
			}
			return nil
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func (r *rig) final(t *testing.T) stdio.ImportStatus {
	t.Helper()
	select {
	case s := <-r.notes.finals:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no final status")
		return stdio.ImportStatus{}
	}
}

func TestImportReportsEveryStep(t *testing.T) {
	r := newRig(t)
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t", ShaderName: "Brushed Steel"})
	if s := r.final(t); s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
	if got, want := r.edge.got(), []string{"downloading", "verifying", "importing", "done"}; !slices.Equal(got, want) {
		t.Fatalf("reports %v, want %v", got, want)
	}
	if want := []string{"queued", "downloading", "verifying", "extracting"}; !slices.Equal(r.notes.stages, want) {
		t.Fatalf("stages %v, want %v", r.notes.stages, want)
	}
	b := r.blender.got[0]
	if b.MaterialName != "OB_Test" || b.ShaderName != "Brushed Steel" || filepath.Base(b.BlendPath) != "material.blend" {
		t.Fatalf("import %+v", b)
	}
	if _, err := os.Stat(b.BlendPath); err != nil {
		t.Fatalf("blend not in cache: %v", err)
	}
	if _, err := os.Stat(r.store.PartPath(r.edge.sha)); !os.IsNotExist(err) {
		t.Fatalf("download left behind: %v", err)
	}
}

func TestRejectedTokenIsReissuedOnce(t *testing.T) {
	r := newRig(t)
	r.edge.redeemErr = []error{ErrTokenRejected}
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "stale"})
	if s := r.final(t); s.Status != "done" || r.edge.reissues != 1 {
		t.Fatalf("final %+v after %d reissues", s, r.edge.reissues)
	}
	r.edge.redeemErr = []error{ErrTokenRejected, ErrTokenRejected}
	r.p.Enqueue(Request{ImportID: "i2", Token: "stale"})
	if s := r.final(t); s.Status != "failed" || s.Code != CodeTokenExpired {
		t.Fatalf("final %+v", s)
	}
}

func TestPendingWithoutTokenAsksForOne(t *testing.T) {
	r := newRig(t)
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1"})
	if s := r.final(t); s.Status != "done" || r.edge.reissues != 1 {
		t.Fatalf("final %+v, reissues %d", s, r.edge.reissues)
	}
}

func TestNetworkTroubleWaitsThenCompletes(t *testing.T) {
	r := newRig(t)
	down := &fault.Error{Code: codes.Network, Err: errors.New("connection refused")}
	r.edge.redeemErr = []error{down, down, down, down, down}
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
}

// A refusal the edge decided (Final) ends the import with its code and words, even when a
// retryable cause sits inside it; a coded cause the pipeline cannot place ends it as internal.
func TestDecidedRefusalEndsTheImportUnretried(t *testing.T) {
	r := newRig(t)
	cause := &fault.Error{Code: codes.ServiceUnavailable}
	r.edge.redeemErr = []error{Fail(codes.SubscriptionRequired, "Subscribe to import.", cause), &fault.Error{Code: codes.InvalidInput}}
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "failed" || s.Code != codes.SubscriptionRequired || s.Message != "Subscribe to import." {
		t.Fatalf("final %+v", s)
	}
	r.p.Enqueue(Request{ImportID: "i2", Token: "t"})
	if s := r.final(t); s.Status != "failed" || s.Code != CodeInternal {
		t.Fatalf("final %+v", s)
	}
	if got := r.edge.got(); !slices.Equal(got, []string{"failed:" + string(codes.SubscriptionRequired), "failed:" + string(CodeInternal)}) {
		t.Fatalf("reports %v (a refusal was retried or redeemed)", got)
	}
}

func TestBadSignatureAndWrongBindingFailBeforeDownload(t *testing.T) {
	r := newRig(t)
	other, _ := shaderpkg.NewSigningKeyring("local-1", make([]byte, 32)) // same kid, different key
	r.edge.kr = other
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "failed" || s.Code != CodeSignatureInvalid {
		t.Fatalf("final %+v", s)
	}
	r.edge.kr, r.edge.otherID = shaderpkg.LocalDevKeyring(), true
	r.p.Enqueue(Request{ImportID: "i2", Token: "t"})
	if s := r.final(t); s.Status != "failed" || s.Code != CodeSignatureInvalid {
		t.Fatalf("final %+v", s)
	}
	if r.fetch.calls.Load() != 0 {
		t.Fatal("downloaded an unverified delivery")
	}
	if got := r.edge.got(); got[len(got)-1] != "failed:"+string(CodeSignatureInvalid) {
		t.Fatalf("reports %v", got)
	}
}

func TestChecksumMismatchFailsWithoutRetry(t *testing.T) {
	r := newRig(t)
	r.fetch.err = errors.New("hash mismatch")
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "failed" || s.Code != CodeChecksumMismatch {
		t.Fatalf("final %+v", s)
	}
	if n := r.fetch.calls.Load(); n != 1 {
		t.Fatalf("%d fetches for a corrupt package", n)
	}
	if len(r.blender.got) != 0 {
		t.Fatal("Blender was asked to import a corrupt package")
	}
}

func TestUnsafeArchiveIsRefused(t *testing.T) {
	r := newRig(t)
	r.start(t, func(context.Context, string, string, []shaderpkg.File) error { return errors.New("zip slip") })
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "failed" || s.Code != CodePackageUnsafe {
		t.Fatalf("final %+v", s)
	}
	if _, ok := r.store.Lookup(r.edge.sha); ok {
		t.Fatal("refused package is in the cache")
	}
}

func TestBlenderRefusalIsReported(t *testing.T) {
	r := newRig(t)
	r.blender.fail = Fail(codes.MaterialMissing, "no material OB_Test", nil)
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "failed" || s.Code != codes.MaterialMissing || s.Message != "no material OB_Test" {
		t.Fatalf("final %+v", s)
	}
}

func TestAtMostTwoDownloadsAndNoDuplicates(t *testing.T) {
	r := newRig(t)
	r.fetch.hold = 30 * time.Millisecond
	r.start(t, nil)
	var shas []string
	for i := range 6 {
		id := fmt.Sprintf("i%d", i)
		if !r.p.Enqueue(Request{ImportID: id, Token: "t"}) {
			t.Fatalf("%s refused", id)
		}
		if r.p.Enqueue(Request{ImportID: id, Token: "t"}) {
			t.Fatalf("%s queued twice", id)
		}
		shas = append(shas, id)
	}
	for range shas {
		if s := r.final(t); s.Status != "done" {
			t.Fatalf("final %+v", s)
		}
	}
	if p := r.fetch.peak.Load(); p > 2 {
		t.Fatalf("%d downloads at once", p)
	}
}

func TestStalledDownloadIsResumed(t *testing.T) {
	r := newRig(t)
	r.fetch.stall.Store(true)
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
	if n := r.fetch.calls.Load(); n != 2 {
		t.Fatalf("%d fetches, want the stalled one and its resumption", n)
	}
}

// A bridge that comes back after dying mid-import (or a Blender that closed mid-download) asks
// for a fresh delivery of its unfinished import instead of redeeming a spent token.
func TestResumedImportAsksForAFreshDelivery(t *testing.T) {
	r := newRig(t)
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", ShaderName: "Brushed Steel", Resume: true})
	if s := r.final(t); s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
	if r.edge.reissues != 0 || len(r.edge.redeemed) != 0 || !slices.Equal(r.edge.redeliver, []string{"i1"}) {
		t.Fatalf("reissues %d, redeemed %v, redelivered %v", r.edge.reissues, r.edge.redeemed, r.edge.redeliver)
	}
	if got, want := r.edge.got(), []string{"downloading", "verifying", "importing", "done"}; !slices.Equal(got, want) {
		t.Fatalf("reports %v, want %v", got, want)
	}
	// The package is in the cache now: a second resume (killed while Blender imported) skips the download.
	r.p.Enqueue(Request{ImportID: "i2", Resume: true})
	if s := r.final(t); s.Status != "done" || r.fetch.calls.Load() != 1 {
		t.Fatalf("final %+v after %d fetches", s, r.fetch.calls.Load())
	}
}

// The redeem answer was lost after its commit: the token is spent and the import is no longer
// queued, so the bridge asks for a fresh delivery instead of giving up.
func TestLostRedeemAnswerIsRedelivered(t *testing.T) {
	r := newRig(t)
	r.edge.redeemErr = []error{ErrTokenRejected}
	r.edge.reissueErr = ErrNotQueued
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "spent"})
	if s := r.final(t); s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
	if !slices.Equal(r.edge.redeliver, []string{"i1"}) {
		t.Fatalf("redelivered %v", r.edge.redeliver)
	}
}

// An import another live bridge holds is left to it.
func TestClaimedImportIsLeftToItsBridge(t *testing.T) {
	r := newRig(t)
	r.p = nil
	claimed := make(chan string, 4)
	r.startWith(t, func(id string) (func(), bool) {
		claimed <- id
		return func() {}, id != "taken"
	})
	r.p.Enqueue(Request{ImportID: "taken", Resume: true})
	if got := <-claimed; got != "taken" {
		t.Fatalf("claimed %s", got)
	}
	// Its Blender, told "queued", hears where it went instead of waiting forever (OTHER_BLENDER).
	if s := r.final(t); s.ImportID != "taken" || s.Status != "cancelled" || s.Code != codes.OtherBlender {
		t.Fatalf("final of the taken import %+v", s)
	}
	r.p.Enqueue(Request{ImportID: "mine", Resume: true})
	if s := r.final(t); s.ImportID != "mine" || s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
	if !slices.Equal(r.edge.redeliver, []string{"mine"}) || len(r.edge.got()) != 4 {
		t.Fatalf("redelivered %v, reports %v", r.edge.redeliver, r.edge.got())
	}
	// Once the other bridge is gone (its lock released), a later catch-up resumes it here.
	deadline := time.Now().Add(5 * time.Second)
	for r.p.Pending() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !r.p.Enqueue(Request{ImportID: "taken", Resume: true}) {
		t.Fatal("an import left to another bridge can never be resumed here")
	}
}

// A cache hit is checked against the signed file list before Blender sees it, and an intact one
// is not downloaded: the edge hears only importing and done.
func TestCacheHitIsVerifiedAgainstTheSignedFiles(t *testing.T) {
	r := newRig(t)
	r.store.has[r.edge.sha] = true
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
	if len(r.verify.calls) != 1 || len(r.verify.calls[0]) != 1 || r.verify.calls[0][0].Path != "material.blend" {
		t.Fatalf("verify calls %v", r.verify.calls)
	}
	if r.fetch.calls.Load() != 0 || len(r.store.discarded) != 0 {
		t.Fatal("an intact hit was downloaded again")
	}
	if got := r.edge.got(); !slices.Equal(got, []string{"importing", "done"}) {
		t.Fatalf("reports %v", got)
	}
}

// A tampered cache entry is discarded and the package downloaded again; Blender gets the new one.
func TestTamperedCacheHitIsDiscardedAndDownloadedAgain(t *testing.T) {
	r := newRig(t)
	r.store.has[r.edge.sha] = true
	r.verify.bad = true
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
	if !slices.Equal(r.store.discarded, []string{r.edge.sha}) || r.fetch.calls.Load() != 1 {
		t.Fatalf("discarded %v, fetches %d", r.store.discarded, r.fetch.calls.Load())
	}
	if got := r.edge.got(); !slices.Equal(got, []string{"downloading", "verifying", "importing", "done"}) {
		t.Fatalf("reports %v", got)
	}
}

// A tampered entry that cannot be removed is never handed to Blender.
func TestTamperedCacheHitThatCannotBeRemovedFails(t *testing.T) {
	r := newRig(t)
	r.store.has[r.edge.sha] = true
	r.verify.bad = true
	r.store.discardErr = errors.New("permission denied")
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "failed" || s.Code != CodePackageUnsafe {
		t.Fatalf("final %+v", s)
	}
	if len(r.blender.got) != 0 {
		t.Fatal("Blender was given a tampered package")
	}
}

// A full disk (or quota) is DISK_FULL wherever it strikes, never an unsafe package. (Windows'
// ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL: bridge/internal/diskspace.)
func TestFullDiskIsReportedAsDiskFullNeverAsUnsafe(t *testing.T) {
	full := &fs.PathError{Op: "write", Path: "/cache/x", Err: syscall.ENOSPC}
	for name, tc := range map[string]struct {
		fetchErr   error
		extractErr error
	}{
		"download": {fetchErr: fmt.Errorf("writing the part: %w", full)},
		"extraction, over quota": {extractErr: fmt.Errorf("EXTRACT_IO: material.blend: %w",
			&fs.PathError{Op: "write", Path: "/cache/x", Err: syscall.EDQUOT})},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			r.fetch.err = tc.fetchErr
			var extract ExtractFunc
			if tc.extractErr != nil {
				extract = func(context.Context, string, string, []shaderpkg.File) error { return tc.extractErr }
			}
			r.start(t, extract)
			r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
			if s := r.final(t); s.Status != "failed" || s.Code != CodeDiskFull {
				t.Fatalf("final %+v", s)
			}
			if got := r.edge.got(); got[len(got)-1] != "failed:"+string(CodeDiskFull) {
				t.Fatalf("reports %v", got)
			}
		})
	}
	// A cache that cannot be written for another reason is not the package's fault either.
	r := newRig(t)
	r.start(t, func(context.Context, string, string, []shaderpkg.File) error {
		return &fs.PathError{Op: "open", Path: "/cache/x", Err: errors.New("permission denied")}
	})
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "failed" || s.Code != CodeCacheWrite {
		t.Fatalf("final %+v", s)
	}
}

// Before downloading, the bridge checks that the disk can take the package and its files.
func TestNotEnoughFreeSpaceFailsBeforeTheDownload(t *testing.T) {
	r := newRig(t)
	var asked string
	r.free = func(dir string) (uint64, error) { asked = dir; return 1 << 20, nil }
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "failed" || s.Code != CodeDiskFull || !strings.Contains(s.Message, "1.0 MB free") {
		t.Fatalf("final %+v", s)
	}
	if r.fetch.calls.Load() != 0 {
		t.Fatal("downloaded without room for it")
	}
	if asked != r.store.dir {
		t.Fatalf("free space asked for %q, want the cache's downloads dir %q", asked, r.store.dir)
	}
	// Enough room, or a free space nobody can tell: the import goes ahead.
	for _, free := range []func(string) (uint64, error){
		func(string) (uint64, error) { return 1 << 40, nil },
		func(string) (uint64, error) { return 0, errors.New("statfs: not supported") },
	} {
		r := newRig(t)
		r.free = free
		r.start(t, nil)
		r.p.Enqueue(Request{ImportID: "i2", Token: "t"})
		if s := r.final(t); s.Status != "done" {
			t.Fatalf("final %+v", s)
		}
	}
}

// The artist's clock is two hours off: the delivery is judged by the edge's clock (its Date
// header), so the import still works; without the edge's time it would be refused as expired.
func TestWrongLocalClockDoesNotFailTheImport(t *testing.T) {
	for _, skew := range []time.Duration{2 * time.Hour, -2 * time.Hour} {
		r := newRig(t)
		server := time.Now()
		r.edge.serverTime = server
		r.now = func() time.Time { return server.Add(skew) }
		r.start(t, nil)
		r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
		if s := r.final(t); s.Status != "done" {
			t.Fatalf("clock %v off: %+v", skew, s)
		}
	}
}

// A catch-up list read while an import was finishing names it as unfinished: the pipeline does
// not start it again (it would tell Blender the finished import was cancelled).
func TestFinishedImportIsNotResumedAgain(t *testing.T) {
	r := newRig(t)
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.p.Pending() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := r.p.Pending(); n != 0 {
		// Still pending, a resume would be refused as "still known": the test would prove nothing.
		t.Fatalf("%d imports still pending after the import finished", n)
	}
	if r.p.Enqueue(Request{ImportID: "i1", Resume: true}) {
		t.Fatal("a finished import was queued again")
	}
	r.edge.mu.Lock()
	defer r.edge.mu.Unlock()
	if len(r.edge.redeliver) != 0 {
		t.Fatalf("redelivered %v", r.edge.redeliver)
	}
}

// The status reports travel while the import goes on (docs/latency.md): Blender gets the package
// while the edge still holds every report, and the page still sees the steps in order, done last.
func TestReportsDoNotHoldTheImport(t *testing.T) {
	r := newRig(t)
	r.blender.imported = make(chan struct{})
	r.edge.onReport = func(status string) error {
		if status == "downloading" {
			select {
			case <-r.blender.imported:
			case <-time.After(5 * time.Second):
				t.Error("Blender got nothing while the edge held the downloading report")
			}
		}
		return nil
	}
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "done" {
		t.Fatalf("final %+v", s)
	}
	if got, want := r.edge.got(), []string{"downloading", "verifying", "importing", "done"}; !slices.Equal(got, want) {
		t.Fatalf("reports %v, want %v", got, want)
	}
}

// A status the edge refuses still fails the import: the steps after it are not reported, done
// never is, and the failure is reported last.
func TestRefusedStatusFailsTheImport(t *testing.T) {
	r := newRig(t)
	refused := &fault.Error{Code: codes.InvalidInput, Msg: "ILLEGAL_TRANSITION"}
	r.edge.onReport = func(status string) error {
		if status == "verifying" {
			return refused
		}
		return nil
	}
	r.start(t, nil)
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "failed" || s.Code != CodeInternal {
		t.Fatalf("final %+v", s)
	}
	if got, want := r.edge.got(), []string{"downloading", "failed:" + string(CodeInternal)}; !slices.Equal(got, want) {
		t.Fatalf("reports %v, want %v", got, want)
	}
}

// Download percentages wait for the statuses before them and never hold the next one back: only
// the latest waiting one is sent, and a waiting one gives way to the next status.
func TestReportsKeepTheirOrder(t *testing.T) {
	r := newRig(t)
	var mu sync.Mutex
	var sent []string
	entered, gate := make(chan struct{}, 8), make(chan struct{}, 8)
	r.edge.onReport = func(status string) error {
		if status == "downloading" {
			entered <- struct{}{}
			<-gate
		}
		return nil
	}
	p := New(Config{Edge: &recordingEdge{fakeEdge: r.edge, sent: &sent, mu: &mu}, Backoff: time.Millisecond})
	rep := newReports(p, "i1")
	ctx := context.Background()

	rep.send(ctx, "downloading", 0, "", "")
	<-entered // on the wire, held
	rep.progress(ctx, 20)
	rep.progress(ctx, 30) // raises the waiting one
	gate <- struct{}{}
	<-entered
	gate <- struct{}{}
	if err := rep.flush(ctx); err != nil {
		t.Fatal(err)
	}
	rep.progress(ctx, 50)
	<-entered                               // on the wire, held
	rep.progress(ctx, 60)                   // waits
	rep.send(ctx, "verifying", 100, "", "") // and gives way to it
	gate <- struct{}{}
	if err := rep.flush(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"downloading 0", "downloading 30", "downloading 50", "verifying 100"}; !slices.Equal(sent, want) {
		t.Fatalf("sent %v, want %v", sent, want)
	}
}

// A status the edge refuses because the import is no longer this device's (cancelled, expired,
// revoked) stops the download at once and ends the import as gone in Blender.
func TestRefusedStatusStopsTheDownload(t *testing.T) {
	r := newRig(t)
	r.edge.onReport = func(status string) error {
		if status == "downloading" {
			return errors.Join(ErrGone, errors.New("NOT_FOUND"))
		}
		return nil
	}
	r.start(t, nil)
	r.p.cfg.Fetch = &blockingFetch{started: make(chan string, 1)}
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "cancelled" || s.Code != codes.ImportGone {
		t.Fatalf("final %+v", s)
	}
	if len(r.blender.got) != 0 {
		t.Fatal("Blender got an import the edge no longer lets this device do")
	}
}

// recordingEdge records every report as "status progress".
type recordingEdge struct {
	*fakeEdge
	mu   *sync.Mutex
	sent *[]string
}

func (e *recordingEdge) Report(ctx context.Context, id, status string, progress int, code, msg string) error {
	err := e.fakeEdge.Report(ctx, id, status, progress, code, msg)
	e.mu.Lock()
	*e.sent = append(*e.sent, fmt.Sprintf("%s %d", status, progress))
	e.mu.Unlock()
	return err
}
