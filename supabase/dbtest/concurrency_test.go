package dbtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

const (
	proUser  = "11111111-1111-4111-8111-111111111111"
	proShade = "b0000000-0000-4000-8000-000000000002" // version of a published pro shader (seed)
	racers   = 64
)

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// fixture is one pro device with one queued import and its token, made as the edge would.
type fixture struct {
	url      string
	deviceID string
	importID string
	jti      string
	token    string
}

func newFixture(t *testing.T, ctx context.Context) fixture {
	t.Helper()
	f := fixture{
		url:      testenv.DB(t),
		deviceID: uuid.NewString(),
		importID: uuid.NewString(),
		jti:      uuid.NewString(),
		token:    "oit1.test." + uuid.NewString(),
	}
	conn, err := pgx.Connect(ctx, f.url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `insert into public.devices (id, user_id, name, platform) values ($1, $2, 'Race Blender', 'blender')`,
		f.deviceID, proUser); err != nil {
		t.Fatalf("insert device: %v", err)
	}
	if _, err := conn.Exec(ctx, `select public.create_import($1, $2, $3, $4, $5, $6, now() + interval '120 seconds')`,
		f.importID, proUser, proShade, f.deviceID, f.jti, hashHex(f.token)); err != nil {
		t.Fatalf("create_import: %v", err)
	}
	return f
}

// connectAll opens n separate connections, each prepared by setup, before any racer starts.
func connectAll(t *testing.T, ctx context.Context, url string, n int, setup func(*pgx.Conn) error) []*pgx.Conn {
	t.Helper()
	conns := make([]*pgx.Conn, n)
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close(context.Background())
			}
		}
	})
	for i := range conns {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatalf("connect %d: %v", i, err)
		}
		conns[i] = c
		if err := setup(c); err != nil {
			t.Fatalf("setup %d: %v", i, err)
		}
	}
	return conns
}

// race runs call on every connection at the same moment and returns each outcome.
func race(ctx context.Context, conns []*pgx.Conn, call func(i int, c *pgx.Conn) error) []error {
	errs := make([]error, len(conns))
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for i, c := range conns {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = call(i, c)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// sqlError returns the PostgreSQL error message (our functions raise stable codes as messages).
func sqlError(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// tally counts successes and groups failures by message.
func tally(errs []error) (ok int, failures map[string]int) {
	failures = map[string]int{}
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		failures[sqlError(err)]++
	}
	return ok, failures
}

func asService(c *pgx.Conn) error {
	_, err := c.Exec(context.Background(), `set role service_role`)
	return err
}

func asDevice(user, device string) func(*pgx.Conn) error {
	return func(c *pgx.Conn) error {
		claims, _ := json.Marshal(map[string]any{
			"sub": user, "role": "authenticated", "aud": "authenticated", "device_id": device,
			"scopes": []string{"imports:receive", "imports:report"},
		})
		_, err := c.Exec(context.Background(), `select set_config('role', 'authenticated', false), set_config('request.jwt.claims', $1, false)`, string(claims))
		return err
	}
}

func scalar[T any](t *testing.T, ctx context.Context, url, sql string, args ...any) T {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var v T
	if err := conn.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// Of 64 simultaneous redemptions of one token on 64 connections, exactly one wins.
func TestRedeemImportTokenIsSingleUseUnderConcurrency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := newFixture(t, ctx)
	conns := connectAll(t, ctx, f.url, racers, asService)

	statuses := make([]string, racers)
	errs := race(ctx, conns, func(i int, c *pgx.Conn) error {
		return c.QueryRow(ctx, `select (public.redeem_import_token($1, $2, $3, $4)).status::text`,
			f.importID, f.jti, f.deviceID, hashHex(f.token)).Scan(&statuses[i])
	})
	ok, failures := tally(errs)
	if ok != 1 {
		t.Fatalf("successful redemptions = %d, want exactly 1 (failures: %v)", ok, failures)
	}
	if failures["INVALID_TOKEN"] != racers-1 || len(failures) != 1 {
		t.Fatalf("failures = %v, want %d × INVALID_TOKEN", failures, racers-1)
	}
	for i, err := range errs {
		if err == nil && statuses[i] != "redeemed" {
			t.Errorf("winner saw status %q, want redeemed", statuses[i])
		}
	}
	if n := scalar[int64](t, ctx, f.url, `select count(*) from public.import_tokens where jti = $1 and redeemed_at is not null`, f.jti); n != 1 {
		t.Errorf("spent token rows = %d, want 1", n)
	}
	if s := scalar[string](t, ctx, f.url, `select status::text from public.imports where id = $1`, f.importID); s != "redeemed" {
		t.Errorf("import status = %q, want redeemed", s)
	}
	// queued + redeemed, each broadcast once: the losers left no trace.
	if n := scalar[int64](t, ctx, f.url, `select count(*) from realtime.messages where event = 'import_status' and payload->>'id' = $1`, f.importID); n != 2 {
		t.Errorf("import_status broadcasts = %d, want 2", n)
	}
}

// Redemptions racing reissues (which void the token) on separate connections: no deadlock, no
// double spend, and the import ends either redeemed or queued with exactly one live token.
func TestRedeemRacesReissue(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := newFixture(t, ctx)
	conns := connectAll(t, ctx, f.url, racers, asService)

	errs := race(ctx, conns, func(i int, c *pgx.Conn) error {
		if i%2 == 0 {
			_, err := c.Exec(ctx, `select public.redeem_import_token($1, $2, $3, $4)`, f.importID, f.jti, f.deviceID, hashHex(f.token))
			return err
		}
		_, err := c.Exec(ctx, `select public.reissue_import_token($1, $2, $3, $4, $5, now() + interval '120 seconds')`,
			f.importID, proUser, f.deviceID, uuid.NewString(), hashHex(fmt.Sprintf("reissued-%d", i)))
		return err
	})
	redeemed := 0
	for i, err := range errs {
		if i%2 == 0 && err == nil {
			redeemed++
		}
		if err != nil {
			if m := sqlError(err); m != "INVALID_TOKEN" && m != "CONFLICT" {
				t.Errorf("racer %d: unexpected error %v", i, err)
			}
		}
	}
	if redeemed > 1 {
		t.Fatalf("token redeemed %d times", redeemed)
	}
	// Whatever the interleaving: at most one token of the import is spent, and if the import was
	// redeemed no live token is left; otherwise exactly one live (unvoided, unspent) token is.
	status := scalar[string](t, ctx, f.url, `select status::text from public.imports where id = $1`, f.importID)
	live := scalar[int64](t, ctx, f.url, `select count(*) from public.import_tokens where import_id = $1 and redeemed_at is null and voided_at is null`, f.importID)
	spent := scalar[int64](t, ctx, f.url, `select count(*) from public.import_tokens where import_id = $1 and redeemed_at is not null`, f.importID)
	switch status {
	case "redeemed":
		if redeemed != 1 || spent != 1 {
			t.Errorf("redeemed import: winners=%d spent=%d, want 1 and 1", redeemed, spent)
		}
	case "queued":
		if redeemed != 0 || spent != 0 || live != 1 {
			t.Errorf("queued import: winners=%d spent=%d live=%d, want 0, 0, 1", redeemed, spent, live)
		}
	default:
		t.Errorf("import status = %q", status)
	}
}

// redeemedRace is a fixture whose import the device redeemed and moved through steps, and
// racers connections signed in as that device.
func redeemedRace(t *testing.T, ctx context.Context, steps ...string) (fixture, []*pgx.Conn) {
	t.Helper()
	f := newFixture(t, ctx)
	moveTo(t, ctx, f, steps...)
	return f, connectAll(t, ctx, f.url, racers, asDevice(proUser, f.deviceID))
}

// moveTo drives the fixture's import to the given state the way the edge and the bridge do.
func moveTo(t *testing.T, ctx context.Context, f fixture, steps ...string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, f.url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `select public.redeem_import_token($1, $2, $3, $4)`, f.importID, f.jti, f.deviceID, hashHex(f.token)); err != nil {
		t.Fatalf("redeem: %v", err)
	}
	if err := asDevice(proUser, f.deviceID)(conn); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if _, err := conn.Exec(ctx, `select public.report_import_status($1, $2::public.import_status)`, f.importID, s); err != nil {
			t.Fatalf("report %s: %v", s, err)
		}
	}
}

// Of 64 devices-worth of simultaneous "done" reports, exactly one is a transition.
func TestReportImportStatusTransitionsOnceUnderConcurrency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f, conns := redeemedRace(t, ctx, "verifying", "importing")
	const popularity = `select popularity from public.shaders where id = (select shader_id from public.imports where id = $1)`
	before := scalar[int32](t, ctx, f.url, popularity, f.importID)

	errs := race(ctx, conns, func(i int, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `select public.report_import_status($1, 'done')`, f.importID)
		return err
	})
	ok, failures := tally(errs)
	if ok != 1 || failures["ILLEGAL_TRANSITION"] != racers-1 || len(failures) != 1 {
		t.Fatalf("ok = %d, failures = %v; want 1 and %d × ILLEGAL_TRANSITION", ok, failures, racers-1)
	}
	if n := scalar[int32](t, ctx, f.url, popularity, f.importID); n != before+1 {
		t.Errorf("popularity = %d, want %d (counted once for the one done)", n, before+1)
	}
}

// Racing "importing" against "cancelled" from verifying: one wins, the machine never breaks.
func TestReportImportStatusCancelRace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f, conns := redeemedRace(t, ctx, "verifying")

	errs := race(ctx, conns, func(i int, c *pgx.Conn) error {
		status := "importing"
		if i%2 == 1 {
			status = "cancelled"
		}
		_, err := c.Exec(ctx, `select public.report_import_status($1, $2::public.import_status)`, f.importID, status)
		return err
	})
	ok, failures := tally(errs)
	if ok != 1 || failures["ILLEGAL_TRANSITION"] != racers-1 {
		t.Fatalf("ok = %d, failures = %v; want exactly one transition", ok, failures)
	}
	final := scalar[string](t, ctx, f.url, `select status::text from public.imports where id = $1`, f.importID)
	if final != "importing" && final != "cancelled" {
		t.Fatalf("final status %q", final)
	}
}

// Progress reports arriving out of order from many connections: the stored progress is the maximum.
func TestDownloadProgressNeverMovesBackUnderConcurrency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f, conns := redeemedRace(t, ctx, "downloading")

	errs := race(ctx, conns, func(i int, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `select public.report_import_status($1, 'downloading', $2)`, f.importID, i+1)
		return err
	})
	if ok, failures := tally(errs); ok != racers {
		t.Fatalf("ok = %d, failures = %v; every progress report should be accepted", ok, failures)
	}
	if p := scalar[int16](t, ctx, f.url, `select progress from public.imports where id = $1`, f.importID); p != racers {
		t.Fatalf("progress = %d, want %d (the highest report)", p, racers)
	}
}
