package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv("OCTANE_STACK_COMMAND") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The command prints the endpoints of a stack with the demo catalog published, and when its
// standard input closes it stops the servers and drops the database.
func TestCommandStartsTheStackAndStopsWhenStdinCloses(t *testing.T) {
	testenv.DB(t) // the cluster and the template are there (skips locally, fails in CI)
	testenv.S3(t)
	cmd := exec.Command(os.Args[0], "-catalog", "-db-prefix", "cmdtest", "-log-dir", t.TempDir())
	cmd.Env = append(os.Environ(), "OCTANE_STACK_COMMAND=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var ep Endpoints
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "STACK "); ok {
			if err := json.Unmarshal([]byte(line), &ep); err != nil {
				t.Fatal(err)
			}
			break
		}
		t.Log(sc.Text())
	}
	if ep.SupabaseURL == "" || ep.EdgeURL == "" || ep.DB == "" || !strings.HasPrefix(ep.DB, "cmdtest_") {
		t.Fatalf("endpoints: %+v", ep)
	}
	go io.Copy(io.Discard, stdout)
	for _, u := range []string{ep.SupabaseURL + "/auth/v1/health", ep.EdgeURL + "/readyz"} {
		if code := status(u); code != http.StatusOK {
			t.Fatalf("GET %s = %d", u, code)
		}
	}
	if ep.Env["DATABASE_URL"] != ep.DBURL || ep.Env["SUPABASE_URL"] != ep.SupabaseURL || ep.Env["EDGE_URL"] != ep.EdgeURL {
		t.Fatalf("env does not wire this stack: %v", ep.Env)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, ep.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	var demo, placeholders int
	err = conn.QueryRow(ctx, `select count(*) filter (where slug = 'oak-wood' and published),
		count(*) filter (where slug like 'placeholder-%' and published) from public.shaders`).Scan(&demo, &placeholders)
	conn.Close(ctx)
	if err != nil || demo != 1 || placeholders != 0 {
		t.Fatalf("catalog: oak-wood published %d, placeholders published %d (%v)", demo, placeholders, err)
	}

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the command after stdin closed: %v", err)
	}
	if code := status(ep.SupabaseURL + "/auth/v1/health"); code != 0 {
		t.Fatalf("the stand-in still answers (%d) after the command ended", code)
	}
	admin, err := pgx.Connect(ctx, testenv.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var left bool
	if err := admin.QueryRow(ctx, "select exists (select 1 from pg_database where datname = $1)", ep.DB).Scan(&left); err != nil || left {
		t.Fatalf("database %s left behind (%v)", ep.DB, err)
	}
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
