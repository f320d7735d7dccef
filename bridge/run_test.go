package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// A release build refuses the committed development key, under its own kid or renamed; local
// builds keep using it.
func TestReleaseBuildRefusesTheDevelopmentKey(t *testing.T) {
	dev := shaderpkg.LocalDevKeyring().PublicKeys()
	prodPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	prod := map[string]ed25519.PublicKey{"prod-1": prodPub}
	renamed := map[string]ed25519.PublicKey{"prod-1": prodPub}
	for _, k := range dev {
		renamed["prod-2"] = k
	}
	if err := checkReleaseKeys(true, dev); err == nil || !strings.Contains(err.Error(), "development") {
		t.Fatalf("release with the dev key: %v", err)
	}
	if err := checkReleaseKeys(true, renamed); err == nil {
		t.Fatal("release with the dev key under another kid was accepted")
	}
	if err := checkReleaseKeys(true, nil); err == nil {
		t.Fatal("release without keys was accepted")
	}
	if err := checkReleaseKeys(true, prod); err != nil {
		t.Fatalf("release with production keys: %v", err)
	}
	if err := checkReleaseKeys(false, dev); err != nil {
		t.Fatalf("local build with the dev key: %v", err)
	}
}
