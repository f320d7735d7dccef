package dbtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// realtime.send() stores the message and notifies the Realtime stand-in; PostgreSQL delivers the
// notification only when the sending transaction commits, so a rolled-back import never reaches
// a browser or a bridge, and a committed one reaches the right topic.
func TestBroadcastsAreDeliveredOnCommitOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := newFixture(t, ctx)

	listener, err := pgx.Connect(ctx, f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(ctx)
	if _, err := listener.Exec(ctx, `listen "realtime:broadcast"`); err != nil {
		t.Fatal(err)
	}
	sender, err := pgx.Connect(ctx, f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close(ctx)

	// nothingWithin reports whether no notification arrives in d.
	nothingWithin := func(d time.Duration) bool {
		wctx, wcancel := context.WithTimeout(ctx, d)
		defer wcancel()
		_, err := listener.WaitForNotification(wctx)
		return errors.Is(err, context.DeadlineExceeded) || errors.Is(wctx.Err(), context.DeadlineExceeded)
	}

	create := func(tx pgx.Tx) string {
		id := uuid.NewString()
		if _, err := tx.Exec(ctx, `select public.create_import($1, $2, $3, $4, $5, $6, now() + interval '120 seconds')`,
			id, proUser, proShade, f.deviceID, uuid.NewString(), hashHex(id)); err != nil {
			t.Fatalf("create_import: %v", err)
		}
		return id
	}

	tx, err := sender.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	create(tx)
	if !nothingWithin(300 * time.Millisecond) {
		t.Fatal("a notification arrived before the transaction committed")
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if !nothingWithin(300 * time.Millisecond) {
		t.Fatal("a rolled-back import was notified")
	}

	tx, err = sender.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	importID := create(tx)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := listener.WaitForNotification(ctx)
	if err != nil {
		t.Fatalf("no notification after commit: %v", err)
	}
	var topic, event, id string
	if err := sender.QueryRow(ctx, `select topic, event, payload->>'id' from realtime.messages where id::text = $1`, n.Payload).
		Scan(&topic, &event, &id); err != nil {
		t.Fatalf("notified message %q not found: %v", n.Payload, err)
	}
	if topic != "user:"+proUser || event != "import_status" || id != importID {
		t.Fatalf("notified %s/%s for %s, want user:%s/import_status for %s", topic, event, id, proUser, importID)
	}
}
