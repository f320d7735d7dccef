package dbtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// runner applies shims, migrations and seed with the project's own script, scripts/db.sh.
type runner struct {
	t     *testing.T
	root  string
	admin string // superuser URL of the cluster's postgres database
	port  string
}

func newRunner(t *testing.T) *runner {
	t.Helper()
	// testenv.DB checks that the cluster and the template exist (skip locally, fail in CI).
	testenv.DB(t)
	if _, err := exec.LookPath("psql"); err != nil {
		testenv.Require(t, "psql", "install postgresql-client-15 (make dev does)")
	}
	admin := testenv.AdminURL()
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return &runner{t: t, root: testenv.Root(t), admin: admin, port: port}
}

// emptyDB names a database that does not exist yet and drops it when the test ends.
func (r *runner) emptyDB() string {
	r.t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		r.t.Fatal(err)
	}
	name := "dbtest_" + hex.EncodeToString(b)
	r.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, r.admin); err == nil {
			_, _ = c.Exec(ctx, "drop database if exists "+name+" with (force)")
			c.Close(ctx)
		}
		os.Remove(filepath.Join(r.root, ".local", "run", "apply-"+name+".sql"))
		os.Remove(filepath.Join(r.root, ".local", "log", "db-"+name+".log"))
	})
	return name
}

func (r *runner) url(db string) string {
	u, _ := url.Parse(r.admin)
	u.Path = "/" + db
	return u.String()
}

// apply runs `scripts/db.sh apply db` and returns its combined output and whether it succeeded.
func (r *runner) apply(db string) (string, bool) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(r.root, "scripts", "db.sh"), "apply", db)
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), "OCTANE_ROOT="+r.root, "PG_PORT="+r.port)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err == nil
}

func (r *runner) exec(db, sql string) {
	r.t.Helper()
	r.with(r.url(db), sql, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, sql)
		return err
	})
}

func (r *runner) createDB(db string) {
	r.t.Helper()
	r.with(r.admin, "create database "+db, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "create database "+db)
		return err
	})
}

func (r *runner) query(db, sql string) string {
	r.t.Helper()
	var s *string
	r.with(r.url(db), sql, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, sql).Scan(&s)
	})
	if s == nil {
		return ""
	}
	return *s
}

// with runs fn on a connection of its own to url and fails the test, naming what, on any error.
func (r *runner) with(url, what string, fn func(context.Context, *pgx.Conn) error) {
	r.t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		r.t.Fatalf("connect for %s: %v", what, err)
	}
	defer c.Close(ctx)
	if err := fn(ctx, c); err != nil {
		r.t.Fatalf("%s: %v", what, err)
	}
}

// migrationVersions lists the versions of supabase/migrations/*.sql in order.
func (r *runner) migrationVersions() []string {
	r.t.Helper()
	files, err := filepath.Glob(filepath.Join(r.root, "supabase", "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		r.t.Fatalf("no migrations found: %v", err)
	}
	var v []string
	for _, f := range files {
		v = append(v, strings.SplitN(filepath.Base(f), "_", 2)[0])
	}
	slices.Sort(v)
	return v
}

// fingerprint describes everything the migrations define, so two databases can be compared.
const fingerprint = `
select string_agg(x, E'\n' order by x) from (
  select format('column %s.%s.%s %s %s %s', table_schema, table_name, column_name, data_type, is_nullable, column_default) as x
    from information_schema.columns where table_schema in ('public', 'auth', 'realtime', 'extensions')
  union all
  select format('policy %s.%s %s %s %s %s', schemaname, tablename, policyname, cmd, qual, with_check) from pg_policies
  union all
  select format('function %s %s %s', p.oid::regprocedure, md5(p.prosrc), p.proconfig) from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'auth'::regnamespace, 'realtime'::regnamespace)
  union all
  select format('index %s', indexdef) from pg_indexes where schemaname in ('public', 'auth', 'realtime')
  union all
  select format('trigger %s %s', tgrelid::regclass, tgname) from pg_trigger where not tgisinternal
  union all
  select format('rls %s %s', oid::regclass, relrowsecurity) from pg_class
    where relnamespace in ('public'::regnamespace, 'realtime'::regnamespace) and relkind = 'r'
  union all
  select format('acl %s %s', oid::regclass, relacl) from pg_class
    where relnamespace = 'public'::regnamespace and relkind = 'r'
) s`

// Shims, migrations and seed apply to an empty database; applying again is a no-op; a second
// database built the same way is identical.
func TestMigrationsApplyFromScratchTwice(t *testing.T) {
	r := newRunner(t)
	versions := r.migrationVersions()
	a, b := r.emptyDB(), r.emptyDB()

	out, ok := r.apply(a)
	if !ok {
		t.Fatalf("first apply failed:\n%s", out)
	}
	if want := fmt.Sprintf("%d migration(s) applied, seed loaded", len(versions)); !strings.Contains(out, want) {
		t.Fatalf("first apply said %q, want it to contain %q", out, want)
	}
	before := r.query(a, fingerprint)

	out, ok = r.apply(a)
	if !ok {
		t.Fatalf("second apply failed:\n%s", out)
	}
	if !strings.Contains(out, "0 migration(s) applied") || strings.Contains(out, "seed loaded") {
		t.Fatalf("second apply said %q, want 0 migrations and no seed", out)
	}
	if after := r.query(a, fingerprint); after != before {
		t.Fatal("the second apply changed the schema")
	}
	if got := r.query(a, `select count(*)::text from auth.users`); got != "3" {
		t.Fatalf("auth.users has %s rows after two applies, want the 3 seeded users once", got)
	}
	if got := r.query(a, `select string_agg(version, ' ' order by version) from supabase_migrations.schema_migrations`); got != strings.Join(versions, " ") {
		t.Fatalf("recorded migrations %q, want %q", got, strings.Join(versions, " "))
	}

	out, ok = r.apply(b)
	if !ok {
		t.Fatalf("apply to the second database failed:\n%s", out)
	}
	if other := r.query(b, fingerprint); other != before {
		t.Fatal("two databases built from scratch differ")
	}
	if before == "" || !strings.Contains(before, "policy realtime.messages") || !strings.Contains(before, "redeem_import_token(") {
		t.Fatal("fingerprint is missing expected objects; the comparison would be vacuous")
	}
}

// fileCreating names the migration file that creates table.
func (r *runner) fileCreating(table string) string {
	r.t.Helper()
	files, _ := filepath.Glob(filepath.Join(r.root, "supabase", "migrations", "*.sql"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(b), "create table "+table+" ") {
			return filepath.Base(f)
		}
	}
	r.t.Fatalf("no migration creates %s", table)
	return ""
}

// present lists which of the objects a successful apply creates exist in db.
func (r *runner) present(db string) string {
	return r.query(db, `select concat_ws(',',
		case when to_regnamespace('supabase_migrations') is not null then 'supabase_migrations' end,
		case when to_regnamespace('extensions') is not null then 'extensions' end,
		case when to_regnamespace('realtime') is not null then 'realtime' end,
		case when to_regclass('public.profiles') is not null then 'public.profiles' end,
		case when to_regclass('public.imports') is not null then 'public.imports' end,
		case when to_regtype('public.import_status') is not null then 'public.import_status' end,
		case when to_regprocedure('auth.uid()') is not null then 'auth.uid' end)`)
}

// A migration that fails part-way (here: a table it creates already exists) stops the run with
// the file and line, and leaves the database exactly as it was; once the cause is gone, it applies.
func TestFailingMigrationLeavesDatabaseUnchanged(t *testing.T) {
	r := newRunner(t)
	db := r.emptyDB()
	r.createDB(db)
	r.exec(db, `create table public.rate_limits (note text)`) // a later migration creates this table

	creator := r.fileCreating("public.rate_limits")
	out, ok := r.apply(db)
	if ok {
		t.Fatalf("apply succeeded despite the conflicting table:\n%s", out)
	}
	if !strings.Contains(out, creator+":") || !strings.Contains(out, "already exists") {
		t.Errorf("output does not name the failing file and line:\n%s", out)
	}
	if !strings.Contains(out, "unchanged") {
		t.Errorf("output does not say the database is unchanged:\n%s", out)
	}
	if got := r.present(db); got != "" {
		t.Fatalf("a failed apply left objects behind: %s", got)
	}
	if got := r.query(db, `select string_agg(column_name, ',') from information_schema.columns where table_name = 'rate_limits'`); got != "note" {
		t.Fatalf("the pre-existing table changed: columns %q", got)
	}

	r.exec(db, `drop table public.rate_limits`)
	if out, ok := r.apply(db); !ok || !strings.Contains(out, "seed loaded") {
		t.Fatalf("apply after removing the conflict: ok=%v\n%s", ok, out)
	}
}

// A seed that fails (here: auth.users exists with a different shape, so the seed's insert breaks)
// also rolls back every migration applied in the same run.
func TestFailingSeedLeavesDatabaseUnchanged(t *testing.T) {
	r := newRunner(t)
	db := r.emptyDB()
	r.createDB(db)
	r.exec(db, `create schema auth; create table auth.users (id uuid primary key, email text unique)`)

	out, ok := r.apply(db)
	if ok {
		t.Fatalf("apply succeeded despite the incompatible auth.users:\n%s", out)
	}
	if !strings.Contains(out, "seed.sql:") {
		t.Errorf("output does not name seed.sql and the line:\n%s", out)
	}
	if got := r.present(db); got != "" {
		t.Fatalf("a failed seed left objects behind: %s", got)
	}
	if got := r.query(db, `select count(*)::text from auth.users`); got != "0" {
		t.Fatalf("auth.users has %s rows, want 0", got)
	}
}
