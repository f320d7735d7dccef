package importer

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// doneLine is what tests read of the pipeline's "import done" log line: the step times (Unix ms)
// and the bytes downloaded per object.
type doneLine struct {
	AtMS    map[string]float64 `json:"at_ms"`
	Fetched map[string]int64   `json:"fetched"`
}

// doneLineOf finds the "import done" line of id in a JSON log.
func doneLineOf(t *testing.T, log, id string) doneLine {
	t.Helper()
	for _, l := range strings.Split(log, "\n") {
		var rec struct {
			doneLine
			Msg      string
			ImportID string `json:"import_id"`
		}
		if json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == "import done" && rec.ImportID == id {
			return rec.doneLine
		}
	}
	t.Fatalf("no import done line for %s in\n%s", id, log)
	return doneLine{}
}

// The import benchmark (docs/latency.md) cuts an import into hops by the bridge's step times:
// every step is there, on the wall clock, in the order the pipeline takes them.
func TestImportDoneLineTimesEveryStep(t *testing.T) {
	var buf testenv.LogBuffer
	r := newRig(t)
	r.log = slog.New(slog.NewJSONHandler(&buf, nil))
	r.start(t, nil)
	for _, id := range []string{"cold", "warm"} {
		r.p.Enqueue(Request{ImportID: id, Token: "t"})
		if s := r.final(t); s.Status != "done" {
			t.Fatalf("final %+v", s)
		}
	}
	order := func(at map[string]float64, steps ...string) {
		t.Helper()
		for i, s := range steps {
			if at[s] < 1e12 { // Unix ms: 2001 or later
				t.Fatalf("step %s missing or not Unix ms: %v", s, at)
			}
			if i > 0 && at[s] < at[steps[i-1]] {
				t.Fatalf("step %s before %s: %v", s, steps[i-1], at)
			}
		}
		if len(at) != len(steps) {
			t.Fatalf("steps %v, want exactly %v", at, steps)
		}
	}
	order(doneLineOf(t, buf.String(), "cold").AtMS, "received", "started", "redeemed", "delivery_verified", "download_started",
		"downloaded", "extract_started", "package_ready", "handed_to_blender", "blender_replied", "done_reported")
	// A cache hit downloads and extracts nothing.
	order(doneLineOf(t, buf.String(), "warm").AtMS, "received", "started", "redeemed", "delivery_verified",
		"package_ready", "handed_to_blender", "blender_replied", "done_reported")
}
