package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestDecodeTextV2(t *testing.T) {
	m, err := DecodeText(V2, []byte(`["6","7","realtime:user:1","phx_join",{"config":{"private":true}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if *m.JoinRef != "6" || *m.Ref != "7" || m.Topic != "realtime:user:1" || m.Event != "phx_join" {
		t.Fatalf("decoded %+v", m)
	}
	m, err = DecodeText(V2, []byte(`[null,3,"phoenix","heartbeat",{}]`))
	if err != nil || m.JoinRef != nil || *m.Ref != "3" {
		t.Fatalf("numeric ref: %+v %v", m, err)
	}
}

func TestDecodeTextV1(t *testing.T) {
	m, err := DecodeText(V1, []byte(`{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"7"}`))
	if err != nil || m.Topic != "phoenix" || *m.Ref != "7" || m.JoinRef != nil {
		t.Fatalf("%+v %v", m, err)
	}
}

func TestDecodeTextRejects(t *testing.T) {
	for _, tc := range []struct{ vsn, in string }{
		{V2, `{"topic":"x"}`},
		{V2, `["1","1","t","e"]`},
		{V2, `["1","1","t","e",[]]`},
		{V2, `["1","1",5,"e",{}]`},
		{V2, `["1","1","","e",{}]`},
		{V2, `[{},"1","t","e",{}]`},
		{V1, `["1","1","t","e",{}]`},
		{V1, `{"topic":"t","payload":{}}`},
		{V1, `{"topic":"t","event":"e","payload":"x"}`},
		{V1, `not json`},
	} {
		if _, err := DecodeText(tc.vsn, []byte(tc.in)); !errors.Is(err, ErrFrame) {
			t.Errorf("DecodeText(%s, %s) = %v, want ErrFrame", tc.vsn, tc.in, err)
		}
	}
}

func binaryPush(jr, ref, topic, event, meta string, enc byte, payload string) []byte {
	b := []byte{kindUserBroadcastPush, byte(len(jr)), byte(len(ref)), byte(len(topic)), byte(len(event)), byte(len(meta)), enc}
	b = append(b, jr+ref+topic+event+meta...)
	return append(b, payload...)
}

func TestDecodeBinary(t *testing.T) {
	m, err := DecodeBinary(binaryPush("6", "7", "realtime:user:123", "ping", "", 1, `{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Event != "broadcast" || m.Topic != "realtime:user:123" || *m.JoinRef != "6" || *m.Ref != "7" {
		t.Fatalf("%+v", m)
	}
	var p map[string]any
	json.Unmarshal(m.Payload, &p)
	if p["type"] != "broadcast" || p["event"] != "ping" || p["payload"].(map[string]any)["a"] != float64(1) {
		t.Fatalf("payload %s", m.Payload)
	}
	for _, bad := range [][]byte{
		nil,
		{4, 0, 0, 0, 0},
		binaryPush("6", "7", "t", "e", "", 0, "raw"),
		binaryPush("6", "7", "t", "e", "", 1, "{"),
		binaryPush("6", "7", "t", "e", "", 1, `{}`)[:9],
		binaryPush("6", "7", "", "e", "", 1, `{}`),
	} {
		if _, err := DecodeBinary(bad); !errors.Is(err, ErrFrame) {
			t.Errorf("DecodeBinary(%v) = %v, want ErrFrame", bad, err)
		}
	}
}

func TestEncode(t *testing.T) {
	r := "7"
	m := Message{Ref: &r, JoinRef: &r, Topic: "phoenix", Event: "phx_reply", Payload: json.RawMessage(`{"status":"ok","response":{}}`)}
	if got := string(Encode(V1, m)); got != `{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"7"}` {
		t.Fatalf("V1 %s", got)
	}
	if got := string(Encode(V2, m)); got != `["7","7","phoenix","phx_reply",{"status":"ok","response":{}}]` {
		t.Fatalf("V2 %s", got)
	}
	if got := string(Encode(V2, Message{Topic: "t", Event: "broadcast"})); got != `[null,null,"t","broadcast",{}]` {
		t.Fatalf("V2 nil refs %s", got)
	}
}

// The decoders must never panic, and whatever they accept must re-encode to valid JSON.
func FuzzDecodeText(f *testing.F) {
	f.Add([]byte(`["6","7","realtime:user:1","phx_join",{"config":{}}]`), true)
	f.Add([]byte(`{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"7"}`), false)
	f.Add([]byte(`[null,null,"",""]`), true)
	f.Fuzz(func(t *testing.T, data []byte, v2 bool) {
		vsn := V1
		if v2 {
			vsn = V2
		}
		m, err := DecodeText(vsn, data)
		if err != nil {
			return
		}
		if out := Encode(vsn, m); !json.Valid(out) {
			t.Fatalf("re-encoded invalid JSON %s", out)
		}
	})
}

func FuzzDecodeBinary(f *testing.F) {
	f.Add(binaryPush("6", "7", "realtime:user:123", "ping", "", 1, `{"a":1}`))
	f.Add([]byte{3, 255, 255, 255, 255, 255, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeBinary(data)
		if err != nil {
			return
		}
		if !json.Valid(m.Payload) || !bytes.HasPrefix(m.Payload, []byte(`{"event":`)) {
			t.Fatalf("payload %s", m.Payload)
		}
	})
}
