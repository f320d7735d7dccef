package postgres

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// RegisterUUID encodes and scans a uuid.UUID as its 16 bytes without the text round trip, and
// still sends the canonical text where the database wants text.
func TestRegisterUUIDEncodesBinaryDirectly(t *testing.T) {
	u := uuid.MustParse("0b6a4c1e-8f3d-4a55-9c2e-7d1f00aa11bb")
	m := pgtype.NewMap()
	RegisterUUID(m)
	got, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, u, nil)
	if err != nil || !bytes.Equal(got, u[:]) {
		t.Fatalf("binary: %x %v", got, err)
	}
	if txt, err := m.Encode(pgtype.TextOID, pgtype.TextFormatCode, u, nil); err != nil || string(txt) != u.String() {
		t.Fatalf("text: %q %v", txt, err)
	}
	buf := make([]byte, 0, 64)
	fast := testing.AllocsPerRun(100, func() { _, _ = m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, u, buf[:0]) })
	plain := pgtype.NewMap()
	slow := testing.AllocsPerRun(100, func() { _, _ = plain.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, u, buf[:0]) })
	if fast > 1 || slow <= fast { // 1 (boxing u as an argument) and 20 on pgx 5.12
		t.Fatalf("%v allocations per binary encode (pgx's own path: %v)", fast, slow)
	}
	if got, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, &u, nil); err != nil || !bytes.Equal(got, u[:]) {
		t.Fatalf("binary from a pointer: %x %v", got, err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, &u, buf[:0]) }); n > 0 {
		t.Fatalf("%v allocations per binary encode of a *uuid.UUID", n)
	}
	var back uuid.UUID
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, u[:], &back); err != nil || back != u {
		t.Fatalf("scan: %v %v", back, err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, u[:], &back) }); n > 0 {
		t.Fatalf("%v allocations per binary scan", n)
	}
}

// A configured pool answers exactly what a plain one does, for every way the edge passes and
// reads uuids: as uuid arguments, nil pointers, inside text expressions, arrays, and scans into
// uuid.UUID and *uuid.UUID (NULL too).
func TestConfiguredPoolAgreesWithPlainPool(t *testing.T) {
	url := testenv.DB(t)
	ctx := context.Background()
	plain, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	Configure(cfg)
	fast, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	u, v := uuid.New(), uuid.New()
	var none *uuid.UUID
	type answer struct {
		ID      uuid.UUID
		Maybe   *uuid.UUID
		Null    *uuid.UUID
		Text    string
		Topic   string
		List    []uuid.UUID
		FromTxt uuid.UUID
	}
	read := func(db *pgxpool.Pool) answer {
		var a answer
		err := db.QueryRow(ctx, `select $1::uuid, $2::uuid, $3::uuid, $1::uuid::text, 'device:' || $1, $4::uuid[], $5::text`,
			u, &v, none, []uuid.UUID{u, v}, v.String()).Scan(&a.ID, &a.Maybe, &a.Null, &a.Text, &a.Topic, &a.List, &a.FromTxt)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	want, got := read(plain), read(fast)
	if got.ID != u || got.Maybe == nil || *got.Maybe != v || got.Null != nil || got.Text != u.String() ||
		got.Topic != "device:"+u.String() || len(got.List) != 2 || got.List[1] != v || got.FromTxt != v {
		t.Fatalf("configured pool read %+v", got)
	}
	if want.ID != got.ID || *want.Maybe != *got.Maybe || want.Null != got.Null || want.Text != got.Text ||
		want.Topic != got.Topic || want.List[0] != got.List[0] || want.FromTxt != got.FromTxt {
		t.Fatalf("plain %+v, configured %+v", want, got)
	}
	// NULL into a uuid.UUID leaves it as it was, without an error, either way.
	for _, db := range []*pgxpool.Pool{plain, fast} {
		id := u
		if err := db.QueryRow(ctx, `select null::uuid`).Scan(&id); err != nil || id != u {
			t.Fatalf("NULL into uuid.UUID: %v %v", id, err)
		}
	}
	if _, err := fast.Exec(ctx, `select $1::uuid`, uuid.Nil); err != nil {
		t.Fatal(err)
	}
}
