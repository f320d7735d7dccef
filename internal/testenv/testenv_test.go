package testenv

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestDBIsFreshAndMigrated(t *testing.T) {
	ctx := context.Background()
	a, b := DB(t), DB(t)
	if a == b {
		t.Fatalf("two calls returned the same database %s", a)
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var users int
	if err := conn.QueryRow(ctx, "select count(*) from auth.users").Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users != 3 { // pro, free and the operator
		t.Fatalf("seed users = %d, want 3", users)
	}
	if _, err := conn.Exec(ctx, "delete from public.favorites"); err != nil {
		t.Fatal(err)
	}
}
