package importer

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"
)

// blockingFetch writes part of the package, says so, and then waits for its context: a download
// that is still running when the test cancels it.
type blockingFetch struct{ started chan string }

func (f *blockingFetch) Fetch(ctx context.Context, _, part string, size int64, _ string, progress func(int64, int64)) error {
	if err := os.WriteFile(part, []byte("half"), 0o600); err != nil {
		return err
	}
	progress(4, size)
	select {
	case f.started <- part:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

func (r *rig) reportsOf(id string) []string {
	r.edge.mu.Lock()
	defer r.edge.mu.Unlock()
	return slices.Clone(r.edge.reports)
}

// A running download cancelled on the site stops, keeps its partial file for the next import of
// the package, never reaches Blender and ends cancelled in the add-on; the site recorded the
// cancel itself, so the bridge reports nothing more. Cancelled in Blender, the bridge reports it.
func TestCancelStopsARunningDownload(t *testing.T) {
	for _, inBlender := range []bool{false, true} {
		r := newRig(t)
		f := &blockingFetch{started: make(chan string, 1)}
		r.start(t, nil)
		r.p.cfg.Fetch = f
		r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
		var part string
		select {
		case part = <-f.started:
		case <-time.After(5 * time.Second):
			t.Fatal("the download never started")
		}
		if !r.p.Cancel("i1", inBlender) {
			t.Fatal("Cancel refused a running download")
		}
		s := r.final(t)
		want := map[bool]string{false: cancelledOnSite, true: cancelledInBlender}[inBlender]
		if s.ImportID != "i1" || s.Status != "cancelled" || s.Message != want {
			t.Fatalf("in Blender %v: final %+v", inBlender, s)
		}
		if b, err := os.ReadFile(part); err != nil || string(b) != "half" {
			t.Fatalf("the partial download is gone (%q, %v): nothing to resume", b, err)
		}
		if len(r.blender.got) != 0 {
			t.Fatal("a cancelled import reached Blender")
		}
		// The downloading report travels beside the download (reports.go): made or not, nothing
		// but the cancel made in Blender follows it.
		var wantReports []string
		if inBlender {
			wantReports = append(wantReports, "cancelled")
		}
		got := r.reportsOf("i1")
		if len(got) > 0 && got[0] == "downloading" {
			got = got[1:]
		}
		if !slices.Equal(got, wantReports) {
			t.Fatalf("in Blender %v: reports %v, want %v", inBlender, got, wantReports)
		}
		if r.p.Enqueue(Request{ImportID: "i1", Token: "t"}) {
			t.Fatal("a catch-up list read before the cancel restarts the import")
		}
	}
}

// A queued import cancelled in Blender leaves the queue at once and is reported cancelled; one the
// pipeline does not have, or has finished, is refused.
func TestCancelAQueuedImport(t *testing.T) {
	r := newRig(t)
	f := &blockingFetch{started: make(chan string, 4)}
	r.start(t, nil)
	r.p.cfg.Fetch = f
	// Two workers: i1 downloads, i2 waits for the same package, i3 waits in the queue.
	for _, id := range []string{"i1", "i2", "i3"} {
		r.p.Enqueue(Request{ImportID: id, Token: "t"})
	}
	<-f.started
	if !r.p.Cancel("i3", true) {
		t.Fatal("Cancel refused a queued import")
	}
	if s := r.final(t); s.ImportID != "i3" || s.Status != "cancelled" {
		t.Fatalf("final %+v", s)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Contains(r.reportsOf("i3"), "cancelled") {
		if time.Now().After(deadline) {
			t.Fatalf("the cancel made in Blender was not reported: %v", r.reportsOf("i3"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r.p.Cancel("nope", false) {
		t.Fatal("Cancel accepted an import it does not have")
	}
	for _, id := range []string{"i1", "i2"} {
		if !r.p.Cancel(id, false) {
			t.Fatalf("Cancel refused %s", id)
		}
	}
	got := map[string]string{}
	for range 2 {
		s := r.final(t)
		got[s.ImportID] = s.Status
	}
	if got["i1"] != "cancelled" || got["i2"] != "cancelled" {
		t.Fatalf("finals %v", got)
	}
	if r.p.Cancel("i1", false) {
		t.Fatal("Cancel accepted an import that ended")
	}
}

// goneOnProgress refuses progress reports as the edge does once the site cancelled the import.
type goneOnProgress struct{ *fakeEdge }

func (g goneOnProgress) Report(ctx context.Context, id, status string, progress int, code, msg string) error {
	if status == "downloading" && progress > 0 {
		return ErrGone
	}
	return g.fakeEdge.Report(ctx, id, status, progress, code, msg)
}

// A bridge that missed the device topic's import_cancelled stops at its next progress report.
func TestARefusedProgressReportStopsTheDownload(t *testing.T) {
	r := newRig(t)
	r.start(t, nil)
	r.p.cfg.Fetch = &blockingFetch{started: make(chan string, 1)}
	r.p.cfg.Edge = goneOnProgress{r.edge}
	r.p.Enqueue(Request{ImportID: "i1", Token: "t"})
	if s := r.final(t); s.Status != "cancelled" || s.Message != cancelledOnSite {
		t.Fatalf("final %+v", s)
	}
}
