package cache

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const crashEnv = "OCTANE_CACHE_CRASH_CHILD"

// TestMain turns the test binary into the child of TestKilledFillIsNeverAHit when asked to.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		c, err := Open(dir, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		_, _ = c.Install(key("killed"), func(tmp string) error {
			if err := fillN(4000)(tmp); err != nil {
				return err
			}
			os.WriteFile(filepath.Join(dir, "filling"), nil, 0o600) // tell the parent: kill me now
			time.Sleep(time.Minute)
			return nil
		})
		os.Exit(4)
	}
	os.Exit(m.Run())
}

// TestKilledFillIsNeverAHit kills a process with SIGKILL in the middle of Install (the fill has
// written files, nothing is renamed yet): the next Open finds no entry and no leftovers.
func TestKilledFillIsNeverAHit(t *testing.T) {
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+root)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(root, "filling")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child never started filling")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if n := names(t, filepath.Join(root, "tmp")); len(n) != 1 {
		t.Fatalf("the killed fill should have left one temp dir, found %v", n)
	}
	c := mustOpen(t, root, 0)
	if _, ok := c.Lookup(key("killed")); ok {
		t.Fatal("a killed fill is a Lookup hit")
	}
	if n := names(t, filepath.Join(root, "tmp")); len(n) != 0 {
		t.Fatalf("Open left %v", n)
	}
	if n := names(t, filepath.Join(root, "pkg")); len(n) != 0 {
		t.Fatalf("entries after the kill: %v", n)
	}
	if _, err := c.Install(key("killed"), fillN(4000)); err != nil {
		t.Fatal(err)
	}
}
