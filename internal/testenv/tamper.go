package testenv

import (
	"bytes"
	"os"
	"testing"
)

// TamperFile flips the bits of the byte in the middle of path, keeping its size (a damaged or
// swapped file that a size check does not notice), and returns what the file held before.
func TamperFile(t testing.TB, path string) []byte {
	t.Helper()
	was, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(was) == 0 {
		t.Fatalf("tamper %s: the file is empty", path)
	}
	b := bytes.Clone(was)
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return was
}
