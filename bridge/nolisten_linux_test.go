//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBridgeChildProcess is the bridge itself when the test binary re-executes itself with
// OCTANE_BRIDGE_TEST_CHILD=1 (TestBridgeOpensNoListeningSocket); otherwise it does nothing.
func TestBridgeChildProcess(t *testing.T) {
	if os.Getenv("OCTANE_BRIDGE_TEST_CHILD") != "1" {
		return
	}
	err := run(context.Background(), nil, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// listeningSockets returns the sockets of process pid that accept connections or datagrams
// from anyone: TCP in LISTEN, unconnected bound UDP, listening Unix sockets.
func listeningSockets(t *testing.T, pid int) []string {
	t.Helper()
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var found []string
	for _, tab := range []struct{ file, state string }{{"tcp", "0A"}, {"tcp6", "0A"}, {"udp", "07"}, {"udp6", "07"}} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, tab.file))
		if err != nil {
			continue // no IPv6 in this kernel
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) > 9 && f[3] == tab.state && inodes[f[9]] {
				found = append(found, tab.file+" "+f[1])
			}
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/unix", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// Flags 00010000 is __SO_ACCEPTCON: a listening socket.
			if len(f) > 6 && f[3] == "00010000" && inodes[f[6]] {
				found = append(found, "unix "+strings.Join(f[7:], " "))
			}
		}
	}
	return found
}

// child is a running bridge with its stdio.
type child struct {
	t        *testing.T
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	lines    chan map[string]any
	ctx      context.Context
	dir      string // HOME of the child
	cacheDir string
}

// startBridge runs the real bridge as a child process (this test binary, see
// TestBridgeChildProcess) with its own HOME and cache and no session bus (so credentials land in
// the 0600 fallback file), and says hello with every endpoint at edgeURL.
func startBridge(t *testing.T, edgeURL string) *child {
	t.Helper()
	dir := t.TempDir()
	c := &child{t: t, dir: dir, cacheDir: filepath.Join(dir, "cache"), lines: make(chan map[string]any, 64)}
	if err := os.MkdirAll(c.cacheDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	c.ctx = ctx
	c.cmd = exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBridgeChildProcess$")
	c.cmd.Env = append(os.Environ(), "OCTANE_BRIDGE_TEST_CHILD=1", "OCTANE_BRIDGE_CACHE_DIR="+c.cacheDir, "HOME="+dir,
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-bus"), "XDG_RUNTIME_DIR="+dir, "OCTANE_BRIDGE_LOG_LEVEL=debug")
	c.stdin, _ = c.cmd.StdinPipe()
	stdout, _ := c.cmd.StdoutPipe()
	c.cmd.Stderr = io.Discard
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.cmd.Process.Kill(); _ = c.cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				m["_raw"] = sc.Text()
				c.lines <- m
			}
		}
		close(c.lines)
	}()
	c.send(map[string]any{"type": "hello", "id": "h1", "addon_version": "1.0.0", "blender_version": "4.2.0", "platform": "linux",
		"site_url": edgeURL, "edge_url": edgeURL, "supabase_url": edgeURL, "supabase_anon_key": "anon"})
	c.await("h1", "hello")
	return c
}

func (c *child) send(v map[string]any) {
	v["v"] = 1
	b, _ := json.Marshal(v)
	if _, err := c.stdin.Write(append(b, '\n')); err != nil {
		c.t.Fatal(err)
	}
}

// await returns the next message of type typ (answering re, when set); every line read on the
// way is passed to seen.
func (c *child) await(re, typ string, seen ...func(string)) map[string]any {
	c.t.Helper()
	for {
		select {
		case m, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("the bridge exited while waiting for %s", typ)
			}
			for _, f := range seen {
				f(m["_raw"].(string))
			}
			if m["type"] == typ && (re == "" || m["re"] == re) {
				return m
			}
		case <-c.ctx.Done():
			c.t.Fatalf("no %s from the bridge", typ)
		}
	}
}

// stop closes stdin and waits for a clean exit.
func (c *child) stop() {
	c.t.Helper()
	c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		c.t.Fatalf("the bridge did not exit cleanly when stdin closed: %v", err)
	}
}

// fakeEdge is an edge that starts the device flow (its answer asks for a poll every interval
// seconds) and answers the other paths in routes; everything is JSON and anything else is 404.
func fakeEdge(t *testing.T, interval int, routes map[string]http.HandlerFunc) *httptest.Server {
	edge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/devices/authorize" {
			fmt.Fprintf(w, `{"device_code":"dc","user_code":"BCDF-GHJK","verification_uri":"http://127.0.0.1/connect",`+
				`"verification_uri_complete":"http://127.0.0.1/connect?code=BCDF-GHJK","expires_in":600,"interval":%d}`, interval)
			return
		}
		if h, ok := routes[r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(edge.Close)
	return edge
}

// Threats 1-4 and 25: the bridge has no listening socket (nothing on this machine or in a
// browser can talk to it; only its parent, over stdin/stdout), even while it is pairing and
// talking to the edge, and it answers a request to run a script (the BlenderKit pattern) with
// UNKNOWN_TYPE. Runs the real bridge as a child process and reads its sockets from /proc.
func TestBridgeOpensNoListeningSocket(t *testing.T) {
	// The detector finds a listener when there is one: this test process has the fake edge's.
	edge := fakeEdge(t, 5, map[string]http.HandlerFunc{"/v1/devices/token": func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"authorization_pending"}`)
	}})
	if len(listeningSockets(t, os.Getpid())) == 0 {
		t.Fatal("the detector does not see this process's own listening socket")
	}
	c := startBridge(t, edge.URL)
	c.send(map[string]any{"type": "pair", "id": "p1", "device_name": "test"})
	c.await("", "pair_code")
	for _, typ := range []string{"run_blender_script", "exec", "settings_set", "executable_set"} {
		c.send(map[string]any{"type": typ, "id": typ, "blender_exe_path": "/bin/sh", "script_path": filepath.Join(c.dir, "evil.py")})
		if m := c.await(typ, "error"); m["code"] != "UNKNOWN_TYPE" {
			t.Fatalf("%s: %v", typ, m)
		}
	}
	if _, err := os.Stat(filepath.Join(c.dir, "evil.py")); err == nil {
		t.Fatal("a script path from a request was touched")
	}
	if l := listeningSockets(t, c.cmd.Process.Pid); len(l) > 0 {
		t.Fatalf("the bridge listens: %v", l)
	}
	c.stop()
}

// Threat 40: once paired, the device API key and its JWTs never reach the add-on's stdout or
// the bridge's log (at debug level), and the key is stored only in a 0600 credentials file (here
// no OS keychain is reachable) in a private directory inside the 0700 cache directory.
func TestPairedBridgeKeepsItsKeyOutOfOutputAndLogs(t *testing.T) {
	const apiKey = "oct_live_0123456789abcdef_SECRETSECRETSECRETSECRETSECRETSE1a2b3c4d"
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXZpY2Utand0LXNlY3JldCJ9.c2lnbmF0dXJlLXNlY3JldA"
	exchanged := make(chan struct{}, 8)
	edge := fakeEdge(t, 1, map[string]http.HandlerFunc{
		"/v1/devices/token": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"api_key":"`+apiKey+`","device_id":"33333333-3333-4333-8333-333333333333","user_id":"11111111-1111-4111-8111-111111111111"}`)
		},
		"/v1/auth/token": func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+apiKey {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"error":{"code":"AUTH_FAILED","message":"no","request_id":"r"}}`)
				return
			}
			exchanged <- struct{}{}
			io.WriteString(w, `{"access_token":"`+jwt+`","token_type":"bearer","expires_in":600,"device_id":"33333333-3333-4333-8333-333333333333","user_id":"11111111-1111-4111-8111-111111111111"}`)
		},
	})
	c := startBridge(t, edge.URL)
	leaks := func(where, s string) {
		for _, secret := range []string{apiKey, "SECRETSECRET", jwt, "c2lnbmF0dXJlLXNlY3JldA"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s holds a credential: %.200s", where, s)
			}
		}
	}
	stdout := func(line string) { leaks("stdout", line) }
	c.send(map[string]any{"type": "pair", "id": "p1", "device_name": "test"})
	c.await("", "pair_code", stdout)
	c.await("", "paired", stdout)
	// The bridge now exchanges the key for a JWT and tries the (absent) Realtime endpoint.
	select {
	case <-exchanged:
	case <-c.ctx.Done():
		t.Fatal("the bridge never exchanged its key for a JWT")
	}
	c.send(map[string]any{"type": "status", "id": "s1"})
	c.await("s1", "status", stdout)
	c.stop()
	logs, err := os.ReadFile(filepath.Join(c.cacheDir, "logs", "bridge.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no bridge log: %v", err)
	}
	leaks("the log", string(logs))
	found := false
	filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if !strings.Contains(string(b), apiKey) {
			return nil
		}
		found = true
		st, _ := os.Stat(p)
		parent, _ := os.Stat(filepath.Dir(p))
		if st.Mode().Perm() != 0o600 || parent.Mode().Perm()&0o077 != 0 || !strings.HasPrefix(p, c.cacheDir+string(filepath.Separator)) {
			t.Errorf("the key is in %s (mode %v, directory %v)", p, st.Mode().Perm(), parent.Mode().Perm())
		}
		return nil
	})
	if !found {
		t.Fatal("the key was not stored (the fallback file is where this test expects it)")
	}
	if st, err := os.Stat(c.cacheDir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("cache directory: %v %v", st.Mode(), err)
	}
}
