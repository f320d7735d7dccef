package shaderpkg

import "testing"

// The spelled-out development public key (what the bridge compares against, so that it links
// no seed) is the one the committed seed derives.
func TestLocalDevPublicKeyIsTheSeeds(t *testing.T) {
	if got := LocalDevPublicKeys(); got != LocalDevPublicKey {
		t.Fatalf("LocalDevPublicKey = %s, the seed derives %s", LocalDevPublicKey, got)
	}
}
