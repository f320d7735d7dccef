package agent

import "testing"

// Threat 16: the add-on's endpoints are https, or plain http only to this machine (the local
// stack); anything else is refused before the bridge connects.
func TestEndpointsMustUseHTTPSExceptLoopback(t *testing.T) {
	for _, u := range []string{"https://edge.example.com", "https://abc.supabase.co", "http://127.0.0.1:8787", "http://[::1]:54321", "http://localhost:54321"} {
		if err := checkURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://edge.example.com", "http://10.0.0.2:8787", "http://127.0.0.1.nip.io", "ws://edge.example.com",
		"ftp://edge.example.com", "//edge.example.com", "edge.example.com", "", "https://"} {
		if err := checkURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}
