//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// Threats 1-4 and 25: the bridge has no listening socket (nothing on this machine or in a
// browser can talk to it; only its parent, over stdin/stdout), even while it is pairing and
// talking to the edge, and it answers a request to run a script (the BlenderKit pattern) with
// UNKNOWN_TYPE. Runs the real bridge as a child process and reads its sockets from /proc.
func TestBridgeOpensNoListeningSocket(t *testing.T) {
	// The detector finds a listener when there is one: this test process has the fake edge's.
	edge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/devices/authorize":
			io.WriteString(w, `{"device_code":"dc","user_code":"BCDF-GHJK","verification_uri":"http://127.0.0.1/connect",`+
				`"verification_uri_complete":"http://127.0.0.1/connect?code=BCDF-GHJK","expires_in":600,"interval":5}`)
		case "/v1/devices/token":
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"authorization_pending"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer edge.Close()
	if len(listeningSockets(t, os.Getpid())) == 0 {
		t.Fatal("the detector does not see this process's own listening socket")
	}

	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBridgeChildProcess$")
	cmd.Env = append(os.Environ(), "OCTANE_BRIDGE_TEST_CHILD=1", "OCTANE_BRIDGE_CACHE_DIR="+cacheDir, "HOME="+dir,
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-bus"), "XDG_RUNTIME_DIR="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := make(chan map[string]any, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
		close(lines)
	}()
	send := func(v map[string]any) {
		v["v"] = 1
		b, _ := json.Marshal(v)
		if _, err := stdin.Write(append(b, '\n')); err != nil {
			t.Fatal(err)
		}
	}
	await := func(re, typ string) map[string]any {
		t.Helper()
		for {
			select {
			case m, ok := <-lines:
				if !ok {
					t.Fatalf("the bridge exited while waiting for %s", typ)
				}
				if m["type"] == typ && (re == "" || m["re"] == re) {
					return m
				}
			case <-ctx.Done():
				t.Fatalf("no %s from the bridge", typ)
			}
		}
	}
	send(map[string]any{"type": "hello", "id": "h1", "addon_version": "1.0.0", "blender_version": "4.2.0", "platform": "linux",
		"site_url": edge.URL, "edge_url": edge.URL, "supabase_url": edge.URL, "supabase_anon_key": "anon"})
	await("h1", "hello")
	send(map[string]any{"type": "pair", "id": "p1", "device_name": "test"})
	await("", "pair_code")
	for _, typ := range []string{"run_blender_script", "exec", "settings_set", "executable_set"} {
		send(map[string]any{"type": typ, "id": typ, "blender_exe_path": "/bin/sh", "script_path": filepath.Join(dir, "evil.py")})
		if m := await(typ, "error"); m["code"] != "UNKNOWN_TYPE" {
			t.Fatalf("%s: %v", typ, m)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "evil.py")); err == nil {
		t.Fatal("a script path from a request was touched")
	}
	if l := listeningSockets(t, cmd.Process.Pid); len(l) > 0 {
		t.Fatalf("the bridge listens: %v", l)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the bridge did not exit cleanly when stdin closed: %v", err)
	}
}
