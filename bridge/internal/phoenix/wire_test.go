package phoenix

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// fakeRealtime records every frame a client sends and answers like Realtime, with a scripted
// first join reply.
type fakeRealtime struct {
	mu       sync.Mutex
	frames   []Frame
	queries  []string
	refuseN  int // refuse this many joins first
	joinRef  string
	conn     *websocket.Conn
	gotFrame chan struct{}
}

func (s *fakeRealtime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.queries = append(s.queries, r.URL.RawQuery)
	s.conn = ws
	s.mu.Unlock()
	ctx := r.Context()
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		f, err := DecodeFrame(b)
		if err != nil {
			ws.Close(websocket.StatusUnsupportedData, "bad frame")
			return
		}
		s.mu.Lock()
		s.frames = append(s.frames, f)
		refuse := false
		if f.Event == "phx_join" {
			if s.refuseN > 0 {
				s.refuseN--
				refuse = true
			} else {
				s.joinRef = *f.JoinRef
			}
		}
		s.mu.Unlock()
		select {
		case s.gotFrame <- struct{}{}:
		default:
		}
		switch {
		case f.Topic == "phoenix" && f.Event == "heartbeat":
			ws.Write(ctx, websocket.MessageText, Frame{Ref: f.Ref, Topic: "phoenix", Event: "phx_reply", Payload: json.RawMessage(`{"status":"ok","response":{}}`)}.Encode())
		case f.Event == "phx_join" && refuse:
			ws.Write(ctx, websocket.MessageText, Frame{JoinRef: f.JoinRef, Ref: f.Ref, Topic: f.Topic, Event: "phx_reply",
				Payload: json.RawMessage(`{"status":"error","response":{"reason":"Unauthorized: nope"}}`)}.Encode())
		case f.Event == "phx_join":
			ws.Write(ctx, websocket.MessageText, Frame{JoinRef: f.JoinRef, Ref: f.Ref, Topic: f.Topic, Event: "phx_reply",
				Payload: json.RawMessage(`{"status":"ok","response":{"postgres_changes":[]}}`)}.Encode())
		}
	}
}

func (s *fakeRealtime) send(t *testing.T, f Frame) {
	s.mu.Lock()
	ws := s.conn
	s.mu.Unlock()
	if err := ws.Write(context.Background(), websocket.MessageText, f.Encode()); err != nil {
		t.Fatal(err)
	}
}

func (s *fakeRealtime) find(event string) []Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Frame
	for _, f := range s.frames {
		if f.Event == event {
			out = append(out, f)
		}
	}
	return out
}

func TestWireShapes(t *testing.T) {
	fake := &fakeRealtime{refuseN: 1, gotFrame: make(chan struct{}, 1)}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	var mu sync.Mutex
	token := "jwt-1"
	rec := newRecorder()
	c, cancel, done := startClient(t, "ws"+strings.TrimPrefix(srv.URL, "http")+"/realtime/v1/websocket", "anon-key",
		func(context.Context) (string, error) { mu.Lock(); defer mu.Unlock(); return token, nil }, "device:abc", rec)

	// The first join is refused (reported with the reason), the retry succeeds.
	rec.wait(t, "join after a refusal", 5*time.Second, func(r *recorder) bool { return r.joined == 1 })
	rec.mu.Lock()
	if je := fault.Outermost(rec.states[0]); len(rec.states) < 2 || je == nil || je.Code != codes.ChannelRefused || je.Topic != "realtime:device:abc" ||
		je.Msg != "Unauthorized: nope" || !fault.Retryable(je) || rec.states[len(rec.states)-1] != nil {
		t.Errorf("states %v", rec.states)
	}
	rec.mu.Unlock()

	fake.mu.Lock()
	q := fake.queries[0]
	fake.mu.Unlock()
	if !strings.Contains(q, "apikey=anon-key") || !strings.Contains(q, "vsn=1.0.0") {
		t.Errorf("query %s", q)
	}
	joins := fake.find("phx_join")
	j := joins[len(joins)-1]
	if j.Topic != "realtime:device:abc" || j.JoinRef == nil || j.Ref == nil || *j.JoinRef != *j.Ref {
		t.Errorf("join frame %+v", j)
	}
	var jp struct {
		Config struct {
			Broadcast struct{ Self *bool }  `json:"broadcast"`
			Presence  struct{ Key *string } `json:"presence"`
			Private   bool                  `json:"private"`
		} `json:"config"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(j.Payload, &jp); err != nil || jp.Config.Broadcast.Self == nil || *jp.Config.Broadcast.Self ||
		jp.Config.Presence.Key == nil || *jp.Config.Presence.Key != "" || !jp.Config.Private || jp.AccessToken != "jwt-1" {
		t.Errorf("join payload %s", j.Payload)
	}

	// Heartbeats flow on topic phoenix.
	deadline := time.Now().Add(3 * time.Second)
	for len(fake.find("heartbeat")) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if hb := fake.find("heartbeat"); len(hb) < 2 || hb[0].Topic != "phoenix" || hb[0].JoinRef != nil {
		t.Errorf("heartbeats %+v", hb)
	}

	// A refreshed token is pushed on the membership, once, by SetAccessToken or by the heartbeat's look.
	mu.Lock()
	token = "jwt-2"
	mu.Unlock()
	c.SetAccessToken("jwt-2")
	deadline = time.Now().Add(3 * time.Second)
	for len(fake.find("access_token")) < 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(700 * time.Millisecond) // two more heartbeats: no duplicate push
	pushes := fake.find("access_token")
	fake.mu.Lock()
	jr := fake.joinRef
	fake.mu.Unlock()
	if len(pushes) != 1 || pushes[0].JoinRef == nil || *pushes[0].JoinRef != jr || !strings.Contains(string(pushes[0].Payload), `"access_token":"jwt-2"`) {
		t.Errorf("access_token pushes %+v (join_ref %s)", pushes, jr)
	}

	// Broadcasts reach the callback; other events and stale memberships do not.
	stale := "999"
	fake.send(t, Frame{JoinRef: &stale, Topic: "realtime:device:abc", Event: "broadcast", Payload: json.RawMessage(`{"type":"broadcast","event":"old","payload":{}}`)})
	fake.send(t, Frame{Topic: "realtime:device:abc", Event: "broadcast", Payload: json.RawMessage(`{"type":"broadcast","event":"import_request","payload":{"import_id":"i1"}}`)})
	fake.send(t, Frame{Topic: "realtime:other", Event: "broadcast", Payload: json.RawMessage(`{"type":"broadcast","event":"import_request","payload":{"import_id":"i2"}}`)})
	rec.wait(t, "broadcast", 3*time.Second, func(r *recorder) bool { return r.hasImport("i1") })
	rec.mu.Lock()
	if len(rec.events) != 1 {
		t.Errorf("events %v", rec.events)
	}
	rec.mu.Unlock()

	// The server closes the channel (as on an expired token): re-joined with the current token.
	fake.send(t, Frame{JoinRef: &jr, Ref: &jr, Topic: "realtime:device:abc", Event: "phx_close", Payload: json.RawMessage(`{}`)})
	rec.wait(t, "re-join after phx_close", 3*time.Second, func(r *recorder) bool { return r.joined == 2 })
	joins = fake.find("phx_join")
	if !strings.Contains(string(joins[len(joins)-1].Payload), `"access_token":"jwt-2"`) {
		t.Errorf("re-join with a stale token: %s", joins[len(joins)-1].Payload)
	}

	// Leaving: phx_leave for the membership, then the socket closes normally.
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil
	if l := fake.find("phx_leave"); len(l) != 1 || l[0].Topic != "realtime:device:abc" {
		t.Errorf("leave %+v", l)
	}
}

func TestBadURLAndRefusedHandshake(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"Unauthorized: No apikey found"}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	for _, u := range []string{"http://127.0.0.1:1/x", "ws" + strings.TrimPrefix(srv.URL, "http") + "/realtime/v1/websocket"} {
		rec := newRecorder()
		startClient(t, u, "k", nil, "device:x", rec)
		rec.wait(t, "an offline report", 3*time.Second, func(r *recorder) bool { return len(r.states) > 0 })
		rec.mu.Lock()
		err := rec.states[0]
		rec.mu.Unlock()
		if err == nil || strings.Contains(err.Error(), "apikey=") {
			t.Errorf("%s: %v", u, err)
		}
	}
}
