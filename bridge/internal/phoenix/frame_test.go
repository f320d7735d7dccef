package phoenix

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDecodeFrame(t *testing.T) {
	ok := []struct {
		in            string
		joinRef, ref  string // "" = nil
		topic, event  string
		payloadPrefix string
	}{
		// vsn 1.0.0 server frames (no join_ref; broadcasts have ref null).
		{`{"topic":"realtime:device:1","event":"broadcast","payload":{"type":"broadcast","event":"import_request","payload":{"import_id":"x"}},"ref":null}`,
			"", "", "realtime:device:1", "broadcast", `{"type"`},
		{`{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"7"}`, "", "7", "phoenix", "phx_reply", `{"status"`},
		{`{"topic":"t","event":"phx_close","payload":{},"ref":"3","join_ref":"3"}`, "3", "3", "t", "phx_close", `{}`},
		// numeric refs, missing payload.
		{`{"topic":"t","event":"e","ref":12,"join_ref":4}`, "4", "12", "t", "e", `{}`},
		// vsn 2.0.0 arrays.
		{`[null,null,"realtime:user:1","broadcast",{"type":"broadcast","event":"x","payload":{}}]`, "", "", "realtime:user:1", "broadcast", `{"type"`},
		{`["6","6","realtime:user:1","phx_reply",{"status":"ok","response":{}}]`, "6", "6", "realtime:user:1", "phx_reply", `{"status"`},
	}
	for _, tc := range ok {
		f, err := DecodeFrame([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if str(f.JoinRef) != tc.joinRef || str(f.Ref) != tc.ref || f.Topic != tc.topic || f.Event != tc.event ||
			!strings.HasPrefix(string(f.Payload), tc.payloadPrefix) {
			t.Errorf("%s: got %+v (join_ref %q ref %q)", tc.in, f, str(f.JoinRef), str(f.Ref))
		}
	}
	bad := []string{``, `   `, `null`, `"x"`, `{}`, `{"topic":"t"}`, `{"event":"e"}`, `{"topic":1,"event":"e"}`,
		`{"topic":"t","event":""}`, `{"topic":"t","event":"e","ref":{}}`, `{"topic":"t","event":"e","ref":[1]}`,
		`[1,2,3]`, `[null,null,5,"e",{}]`, `[null,null,"t",null,{}]`, `{"topic":"t","event":"e"`, `\x00`,
		`{"topic":"t","event":"e","ref":tru}`}
	for _, in := range bad {
		if f, err := DecodeFrame([]byte(in)); err == nil {
			t.Errorf("%q accepted as %+v", in, f)
		}
	}
	if _, err := DecodeFrame(bytes.Repeat([]byte(" "), MaxFrame+1)); err == nil {
		t.Error("oversized frame accepted")
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	jr, ref := "1", "2"
	f := Frame{JoinRef: &jr, Ref: &ref, Topic: "realtime:device:x", Event: "phx_join", Payload: json.RawMessage(`{"a":1}`)}
	b := f.Encode()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"join_ref", "ref", "topic", "event", "payload"} {
		if _, ok := m[k]; !ok {
			t.Errorf("encoded frame lacks %s: %s", k, b)
		}
	}
	g, err := DecodeFrame(b)
	if err != nil || str(g.JoinRef) != "1" || str(g.Ref) != "2" || g.Topic != f.Topic || string(g.Payload) != `{"a":1}` {
		t.Fatalf("round trip %+v %v", g, err)
	}
	// A heartbeat has a null join_ref and an empty payload object.
	hb := Frame{Ref: &ref, Topic: "phoenix", Event: "heartbeat"}
	if got := string(hb.Encode()); got != `{"join_ref":null,"ref":"2","topic":"phoenix","event":"heartbeat","payload":{}}` {
		t.Fatalf("heartbeat %s", got)
	}
}

func TestBackoffIsJitteredAndCapped(t *testing.T) {
	c := New(Config{})
	if c.cfg.Heartbeat != 25*time.Second || c.cfg.MinBackoff != time.Second || c.cfg.MaxBackoff != 30*time.Second {
		t.Fatalf("defaults %+v", c.cfg)
	}
	seen := map[time.Duration]bool{}
	for attempt := range 12 {
		full := min(time.Second<<attempt, 30*time.Second)
		for range 50 {
			d := c.backoff(attempt)
			if d < full/2 || d > full {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, full/2, full)
			}
			seen[d] = true
		}
	}
	if len(seen) < 100 {
		t.Fatalf("backoff is not jittered: %d distinct values", len(seen))
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"topic":"realtime:device:1","event":"broadcast","payload":{"type":"broadcast","event":"import_request","payload":{}},"ref":null}`,
		`{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"7"}`,
		`["6","6","realtime:user:1","phx_reply",{"status":"error","response":{"reason":"x"}}]`,
		`{"topic":"t","event":"e","ref":1e400}`, `[null]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			return
		}
		if fr.Event == "" || !json.Valid(fr.Payload) {
			t.Fatalf("accepted a frame without an event or with invalid payload: %+v", fr)
		}
		// What we accept we can re-encode and read back identically.
		g, err := DecodeFrame(fr.Encode())
		if err != nil || g.Topic != fr.Topic || g.Event != fr.Event || str(g.Ref) != str(fr.Ref) || str(g.JoinRef) != str(fr.JoinRef) {
			t.Fatalf("re-encode of %+v: %+v %v", fr, g, err)
		}
	})
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
