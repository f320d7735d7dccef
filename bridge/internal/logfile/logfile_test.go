package logfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotatesAndKeepsN(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "bridge.log")
	w, err := Open(path, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 39) + "\n"
	for range 20 {
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	for _, p := range []string{path, path + ".1", path + ".2"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if st.Size() > 100 || st.Size() == 0 {
			t.Fatalf("%s has %d bytes", p, st.Size())
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v", p, st.Mode())
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Fatalf("kept more than 2 old files: %v", err)
	}
	// Reopening appends to the current file instead of truncating it.
	w, _ = Open(path, 100, 2)
	before, _ := os.ReadFile(path)
	w.Write([]byte("y\n"))
	w.Close()
	after, _ := os.ReadFile(path)
	if string(after) != string(before)+"y\n" {
		t.Fatal("reopen lost lines")
	}
}
