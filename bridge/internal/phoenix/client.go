// Package phoenix is a small Phoenix channel client for Supabase Realtime private broadcast
// channels: join with an access_token, heartbeats that detect a dead link, access_token pushes
// when the JWT is refreshed, and reconnection with jittered exponential backoff that re-joins
// every channel. It speaks serializer vsn 1.0.0 (see Vsn).
package phoenix

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/bridge/internal/httpx"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// Config describes the server and the timers. Zero timers take the defaults.
type Config struct {
	URL    string // ws(s)://<supabase>/realtime/v1/websocket
	APIKey string // the anon key (sent as apikey)
	// Token returns the current access token (the device JWT); called before every (re)join and
	// on each heartbeat, so a refreshed JWT reaches the server even without OnRefresh.
	Token  func(ctx context.Context) (string, error)
	HTTP   *http.Client
	Logger *slog.Logger

	Heartbeat   time.Duration // 25 s; a reply missing at the next tick means the link is dead
	MinBackoff  time.Duration // 1 s
	MaxBackoff  time.Duration // 30 s
	JoinTimeout time.Duration // 10 s
}

// refused is a join the server refused (Msg is its reason) or a channel it closed: the bridge's
// one coded error, CHANNEL_REFUSED with the channel's wire topic. The client joins again.
func refused(topic, reason string) *fault.Error {
	return &fault.Error{Code: codes.ChannelRefused, Topic: topic, Msg: reason}
}

// Client keeps one WebSocket and its channels alive. Create with New, register channels with
// Join, then call Run.
type Client struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	channels map[string]*channel // by wire topic ("realtime:<topic>")
	order    []string
	onState  []func(online bool, err error)
	token    string
	kick     chan struct{} // wakes the connection loop: a new channel or a new token
}

type channel struct {
	topic       string
	onBroadcast func(event string, payload json.RawMessage)
	onJoined    func()
}

// New returns a client; nothing connects until Run.
func New(cfg Config) *Client {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 25 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	if cfg.JoinTimeout <= 0 {
		cfg.JoinTimeout = 10 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, log: log.With("component", "realtime"), channels: map[string]*channel{}, kick: make(chan struct{}, 1)}
}

// Join registers a private broadcast channel on topic (e.g. "device:<id>"). It is joined on
// every (re)connect with the current access token; onJoined runs after each successful join
// reply, onBroadcast for each broadcast event. Callbacks run on the connection's goroutine:
// they must not block.
func (c *Client) Join(topic string, onBroadcast func(event string, payload json.RawMessage), onJoined func()) {
	wire := "realtime:" + topic
	c.mu.Lock()
	if _, ok := c.channels[wire]; !ok {
		c.order = append(c.order, wire)
	}
	c.channels[wire] = &channel{topic: wire, onBroadcast: onBroadcast, onJoined: onJoined}
	c.mu.Unlock()
	c.wake()
}

// OnState registers f for connection changes: online after a join succeeds; offline with the
// cause when the link drops or a join is refused (a *fault.Error, CHANNEL_REFUSED, with the topic).
func (c *Client) OnState(f func(online bool, err error)) {
	c.mu.Lock()
	c.onState = append(c.onState, f)
	c.mu.Unlock()
}

// SetAccessToken records tok and pushes it to every joined channel (Realtime re-checks the
// channel's policies with it; a refused token closes the channel, which is then re-joined).
func (c *Client) SetAccessToken(tok string) {
	c.mu.Lock()
	c.token = tok
	c.mu.Unlock()
	c.wake()
}

func (c *Client) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *Client) state(online bool, err error) {
	c.mu.Lock()
	fs := append([]func(bool, error){}, c.onState...)
	c.mu.Unlock()
	for _, f := range fs {
		f(online, err)
	}
}

// Run connects and keeps the channels joined until ctx ends, then leaves them and closes the
// socket politely. It returns nil when ctx ends.
func (c *Client) Run(ctx context.Context) error {
	attempt := 0
	for {
		healthy, err := c.connect(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if healthy {
			attempt = 0
		}
		c.log.Info("realtime disconnected", "err", err)
		c.state(false, err)
		d := c.backoff(attempt)
		attempt++
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// backoff is exponential from MinBackoff, capped at MaxBackoff, with "equal jitter" (half fixed,
// half random) so a server restart is not met by every bridge at the same instant.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.MinBackoff
	for i := 0; i < attempt && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

func (c *Client) currentToken(ctx context.Context) (string, error) {
	if c.cfg.Token == nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.token, nil
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tok, err := c.cfg.Token(tctx)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.token = tok
	c.mu.Unlock()
	return tok, nil
}

func (c *Client) dialURL() (string, error) {
	u, err := url.Parse(c.cfg.URL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return "", errors.New("realtime URL must be ws:// or wss://")
	}
	q := u.Query()
	q.Set("apikey", c.cfg.APIKey)
	q.Set("vsn", Vsn)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// httpClient is cfg.HTTP restricted to HTTP/1.1: the WebSocket upgrade does not exist in HTTP/2.
func (c *Client) httpClient() *http.Client {
	if c.cfg.HTTP == nil {
		return &http.Client{}
	}
	hc := *c.cfg.HTTP
	if tr, ok := hc.Transport.(*http.Transport); ok {
		tr = tr.Clone()
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		hc.Transport = tr
	}
	return &hc
}

// conn is one WebSocket session; its state belongs to the loop goroutine in connect.
type conn struct {
	c       *Client
	ws      *websocket.Conn
	ref     int
	pending map[string]pendingReply // by ref
	joined  map[string]string       // wire topic -> join_ref of the live membership
	joining map[string]bool
	retry   map[string]int // wire topic -> refused joins in a row
	sent    string         // the token last sent to the server
	hbRef   string         // outstanding heartbeat ref
}

type pendingReply struct {
	topic   string
	kind    string // "join" or "leave"
	joinRef string
	sentAt  time.Time
}

func (s *conn) nextRef() string {
	s.ref++
	return strconv.Itoa(s.ref)
}

func (s *conn) send(ctx context.Context, f Frame) error {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.ws.Write(wctx, websocket.MessageText, f.Encode())
}

// connect runs one WebSocket session until it fails or ctx ends. healthy reports whether a
// channel was joined (the backoff restarts from its minimum then).
func (c *Client) connect(ctx context.Context) (healthy bool, err error) {
	tok, err := c.currentToken(ctx)
	if err != nil {
		return false, fmt.Errorf("access token: %w", err)
	}
	u, err := c.dialURL()
	if err != nil {
		return false, err
	}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	ws, resp, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPClient: c.httpClient()})
	cancel()
	if err != nil {
		if resp != nil {
			return false, fmt.Errorf("realtime handshake: HTTP %d", resp.StatusCode)
		}
		return false, fmt.Errorf("realtime dial: %w", httpx.StripURL(err))
	}
	ws.SetReadLimit(MaxFrame)
	s := &conn{c: c, ws: ws, pending: map[string]pendingReply{}, joined: map[string]string{},
		joining: map[string]bool{}, retry: map[string]int{}, sent: tok}
	c.log.Debug("realtime connected")

	frames := make(chan Frame, 64)
	readErr := make(chan error, 1)
	rctx, stopRead := context.WithCancel(context.Background())
	defer stopRead()
	go func() {
		for {
			typ, b, err := ws.Read(rctx)
			if err != nil {
				readErr <- err
				return
			}
			if typ != websocket.MessageText {
				continue // vsn 1.0.0 servers send text only
			}
			f, err := DecodeFrame(b)
			if err != nil {
				c.log.Warn("realtime: ignoring a malformed frame", "err", err)
				continue
			}
			select {
			case frames <- f:
			case <-rctx.Done():
				return
			}
		}
	}()

	hb := time.NewTicker(c.cfg.Heartbeat)
	defer hb.Stop()
	check := time.NewTicker(min(c.cfg.JoinTimeout/4, time.Second))
	defer check.Stop()
	rejoinAt := map[string]time.Time{}
	tokenCh := make(chan string, 1)
	tokenBusy := false

	s.joinAll(ctx, rejoinAt)
	for {
		select {
		case <-ctx.Done():
			s.leaveAll()
			ws.Close(websocket.StatusNormalClosure, "bye")
			return healthy, ctx.Err()
		case err := <-readErr:
			ws.CloseNow()
			return healthy, fmt.Errorf("realtime read: %w", err)
		case f := <-frames:
			if s.handle(ctx, f, rejoinAt) {
				healthy = true
			}
		case <-c.kick:
			s.joinAll(ctx, rejoinAt)
			c.mu.Lock()
			t := c.token
			c.mu.Unlock()
			if err := s.pushToken(ctx, t); err != nil {
				ws.CloseNow()
				return healthy, err
			}
		case <-hb.C:
			if s.hbRef != "" {
				ws.CloseNow() // the link is dead: no close handshake to wait for
				return healthy, errors.New("realtime: heartbeat timeout")
			}
			s.hbRef = s.nextRef()
			if err := s.send(ctx, Frame{Ref: &s.hbRef, Topic: "phoenix", Event: "heartbeat", Payload: json.RawMessage("{}")}); err != nil {
				ws.CloseNow()
				return healthy, fmt.Errorf("realtime write: %w", err)
			}
			// Like realtime-js, look at the token on every heartbeat; the fetch may hit the network,
			// so it runs aside and reports back.
			if c.cfg.Token != nil && !tokenBusy {
				tokenBusy = true
				go func() {
					tok, err := c.currentToken(ctx)
					if err != nil {
						tok = ""
					}
					tokenCh <- tok
				}()
			}
		case tok := <-tokenCh:
			tokenBusy = false
			if err := s.pushToken(ctx, tok); err != nil {
				ws.CloseNow()
				return healthy, err
			}
		case now := <-check.C:
			if err := s.timeouts(now); err != nil {
				ws.CloseNow()
				return healthy, err
			}
			for topic, at := range rejoinAt {
				if !now.Before(at) {
					delete(rejoinAt, topic)
					s.join(ctx, topic)
				}
			}
		}
	}
}

// joinAll joins every registered channel that is neither joined, being joined, nor waiting to retry.
func (s *conn) joinAll(ctx context.Context, rejoinAt map[string]time.Time) {
	s.c.mu.Lock()
	topics := append([]string{}, s.c.order...)
	s.c.mu.Unlock()
	for _, t := range topics {
		if _, ok := s.joined[t]; ok || s.joining[t] {
			continue
		}
		if _, waiting := rejoinAt[t]; waiting {
			continue
		}
		s.join(ctx, t)
	}
}

func (s *conn) join(ctx context.Context, topic string) {
	tok, err := s.c.currentToken(ctx)
	if err != nil {
		s.c.log.Warn("realtime: no access token for join", "topic", topic, "err", err)
		tok = s.sent
	}
	ref := s.nextRef()
	payload, _ := json.Marshal(map[string]any{
		"config": map[string]any{
			"broadcast": map[string]any{"ack": false, "self": false},
			"presence":  map[string]any{"key": "", "enabled": false},
			"private":   true,
		},
		"access_token": tok,
	})
	s.pending[ref] = pendingReply{topic: topic, kind: "join", joinRef: ref, sentAt: time.Now()}
	s.joining[topic] = true
	s.sent = tok
	if err := s.send(ctx, Frame{JoinRef: &ref, Ref: &ref, Topic: topic, Event: "phx_join", Payload: payload}); err != nil {
		s.c.log.Warn("realtime: join not sent", "topic", topic, "err", err)
	}
}

// pushToken sends tok to joined channels when it differs from what the server has.
func (s *conn) pushToken(ctx context.Context, tok string) error {
	if tok == "" || tok == s.sent {
		return nil
	}
	s.sent = tok
	payload, _ := json.Marshal(map[string]string{"access_token": tok})
	for topic, joinRef := range s.joined {
		ref := s.nextRef()
		if err := s.send(ctx, Frame{JoinRef: &joinRef, Ref: &ref, Topic: topic, Event: "access_token", Payload: payload}); err != nil {
			return fmt.Errorf("realtime write: %w", err)
		}
	}
	return nil
}

// handle processes one frame; it reports whether a channel was joined.
func (s *conn) handle(ctx context.Context, f Frame, rejoinAt map[string]time.Time) bool {
	if f.Topic == "phoenix" {
		if f.Event == "phx_reply" && f.Ref != nil && *f.Ref == s.hbRef {
			s.hbRef = ""
		}
		return false
	}
	s.c.mu.Lock()
	ch := s.c.channels[f.Topic]
	s.c.mu.Unlock()
	if ch == nil {
		return false
	}
	switch f.Event {
	case "phx_reply":
		if f.Ref == nil {
			return false
		}
		p, ok := s.pending[*f.Ref]
		if !ok {
			return false
		}
		delete(s.pending, *f.Ref)
		if p.kind != "join" {
			return false
		}
		delete(s.joining, f.Topic)
		var r reply
		_ = json.Unmarshal(f.Payload, &r)
		if r.Status != "ok" {
			err := refused(f.Topic, r.reason())
			s.c.log.Warn("realtime: join refused", "topic", f.Topic, "reason", err.Msg)
			s.scheduleRejoin(f.Topic, rejoinAt)
			s.c.state(false, err)
			return false
		}
		s.joined[f.Topic] = p.joinRef
		s.retry[f.Topic] = 0
		s.c.log.Debug("realtime: joined", "topic", f.Topic)
		s.c.state(true, nil)
		if ch.onJoined != nil {
			ch.onJoined()
		}
		return true
	case "broadcast":
		if jr, ok := s.joined[f.Topic]; !ok || (f.JoinRef != nil && *f.JoinRef != jr) {
			return false // a stale membership's message
		}
		var b broadcastPayload
		if json.Unmarshal(f.Payload, &b) != nil || b.Event == "" {
			s.c.log.Warn("realtime: malformed broadcast", "topic", f.Topic)
			return false
		}
		if ch.onBroadcast != nil {
			payload := b.Payload
			if len(payload) == 0 {
				payload = json.RawMessage("null")
			}
			ch.onBroadcast(b.Event, payload)
		}
	case "phx_close", "phx_error":
		jr, ok := s.joined[f.Topic]
		if !ok || (f.JoinRef != nil && *f.JoinRef != jr) {
			return false
		}
		delete(s.joined, f.Topic)
		s.c.log.Info("realtime: channel closed by the server", "topic", f.Topic, "event", f.Event)
		s.scheduleRejoin(f.Topic, rejoinAt)
		s.c.state(false, refused(f.Topic, "closed by the server"))
	case "system":
		var sp systemPayload
		if json.Unmarshal(f.Payload, &sp) == nil && sp.Status == "error" {
			s.c.log.Warn("realtime: system error", "topic", f.Topic, "message", sp.Message)
		}
	}
	return false
}

func (s *conn) scheduleRejoin(topic string, rejoinAt map[string]time.Time) {
	n := s.retry[topic]
	s.retry[topic] = n + 1
	rejoinAt[topic] = time.Now().Add(s.c.backoff(n))
}

// timeouts fails the session when a join was not answered in time: the server is not
// processing our frames, so a fresh connection is the cure.
func (s *conn) timeouts(now time.Time) error {
	for ref, p := range s.pending {
		if now.Sub(p.sentAt) > s.c.cfg.JoinTimeout {
			delete(s.pending, ref)
			return fmt.Errorf("realtime: no reply to %s of %s", p.kind, p.topic)
		}
	}
	return nil
}

// leaveAll tells the server we are going (best effort, bounded).
func (s *conn) leaveAll() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for topic, joinRef := range s.joined {
		ref := s.nextRef()
		_ = s.send(ctx, Frame{JoinRef: &joinRef, Ref: &ref, Topic: topic, Event: "phx_leave", Payload: json.RawMessage("{}")})
	}
}
