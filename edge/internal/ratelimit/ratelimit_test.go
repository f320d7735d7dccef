package ratelimit

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

func TestTiers(t *testing.T) {
	for p, want := range map[string]int{"blender": 100, "rhino": 100, "sketchup": 100, "revit": 50, "autocad": 50, "archicad": 50, "web": 300, "": 60, "Blender": 60} {
		if got := TierFor(p).PerMinute; got != want {
			t.Errorf("%q: %d, want %d", p, got, want)
		}
	}
}

func TestHeaders(t *testing.T) {
	h := Decision{Allowed: false, Limit: 100, Remaining: 0, RetryAfter: 1200e6, Reset: 59_500e6, Policy: "blender"}.Headers()
	if h["RateLimit-Policy"] != `"blender";q=100;w=60` || h["RateLimit"] != `"blender";r=0;t=60` || h["Retry-After"] != "2" {
		t.Fatalf("%v", h)
	}
	if _, ok := (Decision{Allowed: true, Policy: "web"}).Headers()["Retry-After"]; ok {
		t.Fatal("Retry-After on an allowed request")
	}
}

func TestPostgresGCRA(t *testing.T) {
	db, err := pgxpool.New(context.Background(), testenv.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := Limiter{Store: Postgres{DB: db}}
	tier := Tier{"revit", 50}
	for i := range 50 {
		d, err := l.Allow(context.Background(), "key:a", tier)
		if err != nil || !d.Allowed {
			t.Fatalf("request %d: %+v %v", i+1, d, err)
		}
	}
	d, err := l.Allow(context.Background(), "key:a", tier)
	if err != nil || d.Allowed || d.RetryAfter <= 0 {
		t.Fatalf("51st: %+v %v", d, err)
	}
	// Another bucket is independent.
	if d, _ := l.Allow(context.Background(), "key:b", tier); !d.Allowed {
		t.Fatal("bucket b refused")
	}
}
