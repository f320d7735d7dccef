package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// The maintenance loop prunes pairing grants and import tokens that can no longer be used.
func TestMaintainPrunesOldGrantsAndTokens(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool, err := pgxpool.New(ctx, testenv.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `insert into public.device_grants (device_code_hash, user_code, platform, name, status, expires_at)
		values (repeat('a', 64), 'BBBB-BBBB', 'blender', 'old', 'consumed', now() - interval '2 hours'),
		       (repeat('b', 64), 'CCCC-CCCC', 'blender', 'live', 'pending', now() + interval '5 minutes')`); err != nil {
		t.Fatal(err)
	}
	count := func(q string) int {
		var n int
		if err := pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	go maintain(ctx, pool, slog.New(slog.DiscardHandler), 20*time.Millisecond, 10*time.Minute)
	deadline := time.Now().Add(20 * time.Second)
	for count(`select count(*) from public.device_grants where name = 'old'`) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the expired grant was never pruned")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := count(`select count(*) from public.device_grants where name = 'live'`); n != 1 {
		t.Fatalf("the live grant was pruned too (%d left)", n)
	}
}
