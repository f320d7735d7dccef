package httpapi

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// The import benchmark reads where the edge spent a mint from the Server-Timing header
// (docs/latency.md): the handler's duration and wall-clock start, and each step of the mint.
func TestCreateImportServerTiming(t *testing.T) {
	en := newEnv(t)
	dev := en.device(proUser, "blender", nil)
	before := time.Now()
	r := en.do(http.MethodPost, "/v1/imports", en.session(proUser), map[string]any{"shader_id": en.shader.String(), "device_id": dev.String()})
	if r.Code != http.StatusCreated {
		t.Fatalf("create import: %d %s", r.Code, r.Body)
	}
	st := r.H.Get("Server-Timing")
	m := regexp.MustCompile(`^handler;dur=[0-9.]+;desc="([0-9.]+)", resolve;dur=[0-9.]+, sign;dur=[0-9.]+, tx;dur=[0-9.]+;desc="([0-9.]+)"$`).FindStringSubmatch(st)
	if m == nil {
		t.Fatalf("Server-Timing %q", st)
	}
	start, _ := strconv.ParseFloat(m[1], 64)
	tx, _ := strconv.ParseFloat(m[2], 64)
	if lo, hi := float64(before.UnixMilli())-1, float64(time.Now().UnixMilli())+1; start < lo || tx < start || tx > hi {
		t.Fatalf("handler start %.1f and transaction start %.1f are not the wall clock of the request, in order (%.0f..%.0f)", start, tx, lo, hi)
	}
	if r.H.Get("Timing-Allow-Origin") != "" {
		t.Fatal("Timing-Allow-Origin would let other origins' pages read the edge's timings")
	}
}
