package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octanebridge/octane-bridge/internal/periodic"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/claims"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/pg"
)

// Limits of a socket.
const (
	maxFrame      = 1 << 20          // larger frames close the socket with 1009 (message too big)
	idleTimeout   = 60 * time.Second // Phoenix's transport timeout: no frame (not even a heartbeat) → close
	sendQueue     = 1024             // outgoing frames buffered per socket; a slower client is dropped
	notifyChannel = "realtime:broadcast"
)

// Server is the realtime service.
type Server struct {
	db   *pg.DB
	keys *claims.Keys
	log  *slog.Logger

	mu     sync.RWMutex
	topics map[string]map[*channel]struct{}
	conns  map[*conn]struct{}
}

// New builds the service.
func New(db *pg.DB, keys *claims.Keys, log *slog.Logger) *Server {
	return &Server{db: db, keys: keys, log: log, topics: map[string]map[*channel]struct{}{}, conns: map[*conn]struct{}{}}
}

// Handler serves /websocket and /api/broadcast (mount with /realtime/v1 stripped).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/websocket", s.serveWS)
	mux.HandleFunc("POST /api/broadcast", s.serveBroadcastAPI)
	return mux
}

// Close closes every socket.
func (s *Server) Close() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for c := range s.conns {
		c.cancel()
	}
}

func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Write(b)
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	vsn := q.Get("vsn")
	if vsn == "" {
		vsn = V1
	}
	if vsn != V1 && vsn != V2 {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("unsupported serializer version %q", vsn))
		return
	}
	key := q.Get("apikey")
	if key == "" {
		key = r.Header.Get("x-api-key")
	}
	if key == "" {
		httpError(w, http.StatusUnauthorized, "Unauthorized: No apikey found")
		return
	}
	c, err := s.keys.Verify(key, true)
	if err != nil {
		httpError(w, http.StatusForbidden, "Unauthorized: "+jwtReason(err))
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	ws.SetReadLimit(maxFrame)
	ctx, cancel := context.WithCancel(r.Context())
	cn := &conn{srv: s, ws: ws, vsn: vsn, claims: c, out: make(chan []byte, sendQueue), cancel: cancel, channels: map[string]*channel{}}
	s.mu.Lock()
	s.conns[cn] = struct{}{}
	s.mu.Unlock()
	defer func() {
		cancel()
		s.mu.Lock()
		delete(s.conns, cn)
		for _, ch := range cn.channels {
			s.unsubscribeLocked(ch)
		}
		s.mu.Unlock()
		for _, ch := range cn.channels {
			s.untrack(ch)
		}
		ws.CloseNow()
	}()
	go cn.writer(ctx)
	cn.reader(ctx)
}

func jwtReason(err error) string {
	ce := claims.AsError(err)
	switch ce.Kind {
	case claims.Expired:
		return fmt.Sprintf("Token has expired %d seconds ago", int(math.Round(ce.ExpiredFor.Seconds())))
	case claims.MissingClaim:
		return "Fields `role` and `exp` are required in JWT"
	case claims.BadSignature:
		return "Signature error"
	}
	return "Invalid JWT: " + ce.Detail
}

// conn is one WebSocket.
type conn struct {
	srv    *Server
	ws     *websocket.Conn
	vsn    string
	claims claims.Claims // of the apikey; a join's access_token overrides it per channel
	out    chan []byte
	cancel context.CancelFunc
	// channels is touched by the reader goroutine, and by Server under s.mu for removal.
	channels map[string]*channel
}

// channel is one joined topic on a socket.
type channel struct {
	conn    *conn
	topic   string // full topic, "realtime:<sub>"
	sub     string
	joinRef *string
	private bool
	self    bool
	ack     bool
	// presenceKey is config.presence.key, or a random one.
	presenceKey string

	mu       sync.Mutex
	claims   claims.Claims
	canWrite *bool
	closed   bool
	// tracked is this channel's presence meta (with phx_ref), nil when not tracked.
	tracked map[string]any
}

func (c *conn) send(m Message) {
	c.sendRaw(Encode(c.vsn, m))
}

func (c *conn) sendRaw(b []byte) {
	select {
	case c.out <- b:
	default:
		c.srv.log.Warn("realtime: client too slow, closing socket")
		c.cancel()
	}
}

func (c *conn) writer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-c.out:
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := c.ws.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				c.cancel()
				return
			}
		}
	}
}

func (c *conn) reader(ctx context.Context) {
	for {
		rctx, cancel := context.WithTimeout(ctx, idleTimeout)
		typ, data, err := c.ws.Read(rctx)
		cancel()
		if err != nil {
			if websocket.CloseStatus(err) == -1 && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				c.ws.Close(websocket.StatusPolicyViolation, "heartbeat timeout")
			}
			return
		}
		var m Message
		if typ == websocket.MessageBinary {
			if c.vsn != V2 {
				c.ws.Close(websocket.StatusUnsupportedData, "binary frames need vsn 2.0.0")
				return
			}
			m, err = DecodeBinary(data)
		} else {
			m, err = DecodeText(c.vsn, data)
		}
		if err != nil {
			// Phoenix cannot decode it either and drops the transport.
			c.ws.Close(websocket.StatusUnsupportedData, "malformed frame")
			return
		}
		c.handle(ctx, m)
	}
}

func reply(m Message, status string, response any) Message {
	b, _ := json.Marshal(map[string]any{"status": status, "response": response})
	return Message{JoinRef: m.JoinRef, Ref: m.Ref, Topic: m.Topic, Event: "phx_reply", Payload: b}
}

func (c *conn) handle(ctx context.Context, m Message) {
	if m.Topic == "phoenix" {
		if m.Event == "heartbeat" {
			c.send(reply(m, "ok", map[string]any{}))
		}
		return
	}
	switch m.Event {
	case "phx_join":
		c.join(ctx, m)
		return
	}
	ch := c.channels[m.Topic]
	if ch != nil {
		ch.mu.Lock()
		if ch.closed {
			delete(c.channels, m.Topic)
			ch = nil
		}
		ch.mu.Unlock()
	}
	if ch == nil || (m.JoinRef != nil && ch.joinRef != nil && *m.JoinRef != *ch.joinRef) {
		c.send(reply(m, "error", map[string]any{"reason": "unmatched topic"}))
		return
	}
	switch m.Event {
	case "phx_leave":
		c.send(reply(m, "ok", map[string]any{}))
		c.closeChannel(ch)
	case "access_token":
		c.accessToken(ctx, ch, m)
	case "broadcast":
		c.broadcast(ctx, ch, m)
	case "presence":
		c.presence(ctx, ch, m)
	default:
		c.send(reply(m, "error", map[string]any{"reason": "unknown event"}))
	}
}

type joinPayload struct {
	Config struct {
		Broadcast struct {
			Ack  bool `json:"ack"`
			Self bool `json:"self"`
		} `json:"broadcast"`
		PostgresChanges []map[string]any `json:"postgres_changes"`
		Presence        struct {
			Enabled bool   `json:"enabled"`
			Key     string `json:"key"`
		} `json:"presence"`
		Private bool `json:"private"`
	} `json:"config"`
	AccessToken string `json:"access_token"`
}

func (c *conn) join(ctx context.Context, m Message) {
	sub, ok := strings.CutPrefix(m.Topic, "realtime:")
	if !ok {
		c.send(reply(m, "error", map[string]any{"reason": "unmatched topic"}))
		return
	}
	if sub == "" {
		c.send(reply(m, "error", map[string]any{"reason": "You must provide a topic name"}))
		return
	}
	var p joinPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		c.send(reply(m, "error", map[string]any{"reason": "Invalid join payload"}))
		return
	}
	cl := c.claims
	if p.AccessToken != "" && !strings.HasPrefix(p.AccessToken, "sb_") {
		v, err := c.srv.keys.Verify(p.AccessToken, true)
		if err != nil {
			c.send(reply(m, "error", map[string]any{"reason": "InvalidJWTToken: " + jwtReason(err)}))
			return
		}
		cl = v
	}
	if old := c.channels[m.Topic]; old != nil {
		// Phoenix closes a duplicate join's predecessor.
		c.closeChannel(old)
	}
	ch := &channel{conn: c, topic: m.Topic, sub: sub, joinRef: m.JoinRef, private: p.Config.Private,
		self: p.Config.Broadcast.Self, ack: p.Config.Broadcast.Ack, claims: cl, presenceKey: p.Config.Presence.Key}
	if ch.presenceKey == "" {
		ch.presenceKey = randomRef()
	}
	if ch.joinRef == nil {
		ch.joinRef = m.Ref
	}
	if ch.private {
		ok, err := c.srv.authorize(ctx, cl, sub, false)
		if err != nil {
			c.srv.log.Error("realtime: authorise join", "topic", sub, "err", err)
			c.send(reply(m, "error", map[string]any{"reason": "Unable to authorise the channel"}))
			return
		}
		if !ok {
			c.send(reply(m, "error", map[string]any{"reason": "Unauthorized: You do not have permissions to read from this Channel topic: " + sub}))
			return
		}
	}
	pgc := []any{}
	for _, b := range p.Config.PostgresChanges {
		e := map[string]any{}
		for k, v := range b {
			e[k] = v
		}
		bb, _ := json.Marshal(b)
		e["id"] = int64(hash32(bb))
		pgc = append(pgc, e)
	}
	c.channels[m.Topic] = ch
	c.srv.mu.Lock()
	set := c.srv.topics[m.Topic]
	if set == nil {
		set = map[*channel]struct{}{}
		c.srv.topics[m.Topic] = set
	}
	set[ch] = struct{}{}
	c.srv.mu.Unlock()
	c.send(reply(m, "ok", map[string]any{"postgres_changes": pgc}))
	if p.Config.Presence.Enabled {
		st, _ := json.Marshal(c.srv.presenceState(ch.topic, ch.private))
		c.send(Message{JoinRef: ch.joinRef, Topic: ch.topic, Event: "presence_state", Payload: st})
	}
	if len(pgc) > 0 {
		c.system(ch, "postgres_changes", "error", "postgres_changes is not supported by the local stand-in; use broadcast")
	}
}

func hash32(b []byte) uint32 {
	h := uint32(2166136261)
	for _, x := range b {
		h ^= uint32(x)
		h *= 16777619
	}
	return h & 0x7ffffff
}

// system pushes a Realtime "system" message on a channel.
func (c *conn) system(ch *channel, extension, status, msg string) {
	b, _ := json.Marshal(map[string]any{"channel": ch.sub, "extension": extension, "message": msg, "status": status})
	c.send(Message{JoinRef: ch.joinRef, Topic: ch.topic, Event: "system", Payload: b})
}

// closeChannel leaves a channel and tells the client with phx_close.
func (c *conn) closeChannel(ch *channel) {
	ch.mu.Lock()
	already := ch.closed
	ch.closed = true
	ch.mu.Unlock()
	if already {
		return
	}
	c.srv.mu.Lock()
	c.srv.unsubscribeLocked(ch)
	c.srv.mu.Unlock()
	c.srv.untrack(ch)
	if c.channels[ch.topic] == ch {
		delete(c.channels, ch.topic)
	}
	c.send(Message{JoinRef: ch.joinRef, Ref: ch.joinRef, Topic: ch.topic, Event: "phx_close", Payload: json.RawMessage("{}")})
}

func (s *Server) unsubscribeLocked(ch *channel) {
	if set := s.topics[ch.topic]; set != nil {
		delete(set, ch)
		if len(set) == 0 {
			delete(s.topics, ch.topic)
		}
	}
}

// accessToken swaps a channel's JWT; an invalid or expired one, or one no longer allowed on a
// private topic, ends the channel with a system message, as Realtime does.
func (c *conn) accessToken(ctx context.Context, ch *channel, m Message) {
	var p struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(m.Payload, &p)
	if p.AccessToken == "" || strings.HasPrefix(p.AccessToken, "sb_") {
		return
	}
	v, err := c.srv.keys.Verify(p.AccessToken, true)
	if err != nil {
		c.system(ch, "system", "error", jwtReason(err))
		c.closeChannel(ch)
		return
	}
	if ch.private {
		ok, err := c.srv.authorize(ctx, v, ch.sub, false)
		if err != nil || !ok {
			c.system(ch, "system", "error", "Unauthorized: You do not have permissions to read from this Channel topic: "+ch.sub)
			c.closeChannel(ch)
			return
		}
	}
	ch.mu.Lock()
	ch.claims, ch.canWrite = v, nil
	ch.mu.Unlock()
}

// broadcast relays a client's broadcast to the topic's other members (and itself with self).
func (c *conn) broadcast(ctx context.Context, ch *channel, m Message) {
	var p struct {
		Type    string          `json:"type"`
		Event   string          `json:"event"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Event == "" {
		if ch.ack {
			c.send(reply(m, "error", map[string]any{"reason": "Invalid broadcast payload"}))
		}
		return
	}
	if ch.private {
		ch.mu.Lock()
		cached, cl := ch.canWrite, ch.claims
		ch.mu.Unlock()
		allowed := false
		if cached != nil {
			allowed = *cached
		} else {
			ok, err := c.srv.authorize(ctx, cl, ch.sub, true)
			if err != nil {
				c.srv.log.Error("realtime: authorise send", "topic", ch.sub, "err", err)
			}
			allowed = ok
			ch.mu.Lock()
			ch.canWrite = &allowed
			ch.mu.Unlock()
		}
		if !allowed {
			if ch.ack {
				c.send(reply(m, "error", map[string]any{"reason": "Unauthorized: You do not have permissions to write to this Channel topic: " + ch.sub}))
			}
			return
		}
	}
	if len(p.Payload) == 0 {
		p.Payload = json.RawMessage("{}")
	}
	body, _ := json.Marshal(map[string]any{"type": "broadcast", "event": p.Event, "payload": p.Payload})
	c.srv.fanout(ch.topic, ch.private, body, ch)
	if ch.ack {
		c.send(reply(m, "ok", map[string]any{}))
	}
}

// fanout sends a broadcast to every channel joined to topic with the same privacy, skipping
// from unless it asked for its own messages.
func (s *Server) fanout(topic string, private bool, payload []byte, from *channel) int {
	now := s.keys.Now()
	var frames [2][]byte
	var expired []*channel
	n := 0
	s.mu.RLock()
	for ch := range s.topics[topic] {
		if ch.private != private || (ch == from && !ch.self) {
			continue
		}
		ch.mu.Lock()
		exp := ch.claims.Exp()
		ch.mu.Unlock()
		if !exp.IsZero() && !now.Before(exp) {
			expired = append(expired, ch)
			continue
		}
		i := 0
		if ch.conn.vsn == V2 {
			i = 1
		}
		if frames[i] == nil {
			frames[i] = Encode(ch.conn.vsn, Message{Topic: topic, Event: "broadcast", Payload: payload})
		}
		ch.conn.sendRaw(frames[i])
		n++
	}
	s.mu.RUnlock()
	for _, ch := range expired {
		s.expire(ch, now)
	}
	return n
}

// expire ends a channel whose JWT has expired with Realtime's system message. The reader goroutine
// owns conn.channels, so only the hub entry is removed here; the reader drops the closed channel.
func (s *Server) expire(ch *channel, now time.Time) {
	ch.mu.Lock()
	done := ch.closed
	ch.closed = true
	exp := ch.claims.Exp()
	ch.mu.Unlock()
	if done {
		return
	}
	s.mu.Lock()
	s.unsubscribeLocked(ch)
	s.mu.Unlock()
	s.untrack(ch)
	b, _ := json.Marshal(map[string]any{"channel": ch.sub, "extension": "system", "status": "error",
		"message": fmt.Sprintf("Token has expired %d seconds ago", int(now.Sub(exp).Seconds()))})
	ch.conn.send(Message{JoinRef: ch.joinRef, Topic: ch.topic, Event: "system", Payload: b})
	ch.conn.send(Message{JoinRef: ch.joinRef, Ref: ch.joinRef, Topic: ch.topic, Event: "phx_close", Payload: json.RawMessage("{}")})
}

// sweep closes channels whose JWT expired, so an idle channel does not outlive its token.
func (s *Server) sweep() {
	now := s.keys.Now()
	var expired []*channel
	s.mu.RLock()
	for _, set := range s.topics {
		for ch := range set {
			ch.mu.Lock()
			exp := ch.claims.Exp()
			ch.mu.Unlock()
			if !exp.IsZero() && !now.Before(exp) {
				expired = append(expired, ch)
			}
		}
	}
	s.mu.RUnlock()
	for _, ch := range expired {
		s.expire(ch, now)
	}
}

// authorize asks PostgreSQL whether the claims may read (or write) topic, the way Realtime does:
// in a transaction that is always rolled back, a probe row for the topic is inserted, then, as
// the JWT's role with request.jwt.claims and realtime.topic set, the probe must be visible through
// the RLS policies on realtime.messages (read) or an insert must pass them (write).
func (s *Server) authorize(ctx context.Context, c claims.Claims, topic string, write bool) (bool, error) {
	return s.authorizeExt(ctx, c, topic, "broadcast", write)
}

// authorizeExt is authorize for an extension ("broadcast" or "presence").
func (s *Server) authorizeExt(ctx context.Context, c claims.Claims, topic, extension string, write bool) (bool, error) {
	role := c.Role()
	if !pg.IsAPIRole(role) {
		return false, nil
	}
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var probe string
	if err := tx.QueryRow(ctx, `insert into realtime.messages (topic, extension, private, event, payload)
		values ($1, $2, true, 'authorization-probe', '{}') returning id::text`, topic, extension).Scan(&probe); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, "set local role "+pgx.Identifier{role}.Sanitize()); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `select set_config('request.jwt.claims', $1, true), set_config('realtime.topic', $2, true)`, c.JSON(), topic); err != nil {
		return false, err
	}
	if !write {
		var ok bool
		err := tx.QueryRow(ctx, `select exists (select 1 from realtime.messages where id::text = $1)`, probe).Scan(&ok)
		return ok, permissionDenied(err)
	}
	_, err = tx.Exec(ctx, `insert into realtime.messages (topic, extension, private, event, payload) values ($1, $2, true, 'authorization-probe', '{}')`, topic, extension)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42501" {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

func permissionDenied(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42501" {
		return nil
	}
	return err
}

// Listen delivers realtime.send() messages: realtime.send() inserts the row and NOTIFYs its id on
// "realtime:broadcast"; the listener reads the row and fans it out. It returns once the first
// LISTEN is in place, so that a message sent after the stand-in says it is up is never missed
// (a NOTIFY before LISTEN is lost), and delivers in the background, reconnecting, until ctx ends.
func (s *Server) Listen(ctx context.Context) error {
	cn, err := s.listen(ctx)
	if err != nil {
		return err
	}
	go periodic.Run(ctx, 5*time.Second, nil, s.sweep)
	go s.receive(ctx, cn)
	return nil
}

func (s *Server) listen(ctx context.Context) (*pgx.Conn, error) {
	cn, err := pgx.Connect(ctx, s.db.URL)
	if err != nil {
		return nil, err
	}
	if _, err := cn.Exec(ctx, `listen "`+notifyChannel+`"`); err != nil {
		cn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return cn, nil
}

// receive delivers each notification on cn; when the connection is lost it listens again, backing
// off, until ctx ends.
func (s *Server) receive(ctx context.Context, cn *pgx.Conn) {
	backoff := 100 * time.Millisecond
	for {
		var err error
		if cn != nil {
			err = s.deliverAll(ctx, cn)
			cn.Close(context.WithoutCancel(ctx))
			backoff = 100 * time.Millisecond
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Warn("realtime: listener lost, reconnecting", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
		if cn, err = s.listen(ctx); err != nil {
			s.log.Warn("realtime: cannot listen yet", "err", err)
		}
	}
}

func (s *Server) deliverAll(ctx context.Context, cn *pgx.Conn) error {
	for {
		n, err := cn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		s.deliver(ctx, n.Payload)
	}
}

func (s *Server) deliver(ctx context.Context, id string) {
	var topic, event string
	var payload []byte
	var private bool
	err := s.db.Pool.QueryRow(ctx, `select topic, coalesce(event, ''), coalesce(payload, '{}'::jsonb)::text::bytea, private
		from realtime.messages where id::text = $1 and extension = 'broadcast'`, id).Scan(&topic, &event, &payload, &private)
	if err != nil {
		if !errors.Is(err, pgx.ErrNoRows) {
			s.log.Error("realtime: read message", "id", id, "err", err)
		}
		return
	}
	body, _ := json.Marshal(map[string]any{"type": "broadcast", "event": event, "payload": json.RawMessage(payload)})
	s.fanout("realtime:"+topic, private, body, nil)
}

// serveBroadcastAPI is POST /realtime/v1/api/broadcast: {"messages":[{topic, event, payload,
// private}]}. Private messages are checked against the write policies with the caller's JWT.
func (s *Server) serveBroadcastAPI(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		tok = r.Header.Get("apikey")
	}
	c, err := s.keys.Verify(tok, true)
	if err != nil {
		httpError(w, http.StatusUnauthorized, jwtReason(err))
		return
	}
	var body struct {
		Messages []struct {
			Topic   string          `json:"topic"`
			Event   string          `json:"event"`
			Payload json.RawMessage `json:"payload"`
			Private bool            `json:"private"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFrame)).Decode(&body); err != nil || len(body.Messages) == 0 {
		httpError(w, http.StatusBadRequest, "invalid body: want {\"messages\":[{topic, event, payload}]}")
		return
	}
	for _, m := range body.Messages {
		if m.Topic == "" || m.Event == "" {
			httpError(w, http.StatusBadRequest, "each message needs topic and event")
			return
		}
		if m.Private {
			ok, err := s.authorize(r.Context(), c, m.Topic, true)
			if err != nil || !ok {
				httpError(w, http.StatusUnauthorized, "Unauthorized: You do not have permissions to write to this Channel topic: "+m.Topic)
				return
			}
		}
	}
	for _, m := range body.Messages {
		p := m.Payload
		if len(p) == 0 {
			p = json.RawMessage("{}")
		}
		b, _ := json.Marshal(map[string]any{"type": "broadcast", "event": m.Event, "payload": p})
		s.fanout("realtime:"+m.Topic, m.Private, b, nil)
	}
	w.WriteHeader(http.StatusAccepted)
}

func randomRef() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// presence handles track/untrack pushes: {type:"presence", event:"track"|"untrack", payload}.
// Private channels need the presence policies on realtime.messages (extension 'presence').
func (c *conn) presence(ctx context.Context, ch *channel, m Message) {
	var p struct {
		Event   string         `json:"event"`
		Payload map[string]any `json:"payload"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || (p.Event != "track" && p.Event != "untrack") {
		c.send(reply(m, "error", map[string]any{"reason": "Invalid presence payload"}))
		return
	}
	if ch.private {
		ch.mu.Lock()
		cl := ch.claims
		ch.mu.Unlock()
		ok, err := c.srv.authorizeExt(ctx, cl, ch.sub, "presence", true)
		if err != nil || !ok {
			c.send(reply(m, "error", map[string]any{"reason": "Unauthorized: You do not have permissions to track presence on this Channel topic: " + ch.sub}))
			return
		}
	}
	if p.Event == "untrack" {
		c.srv.untrack(ch)
		c.send(reply(m, "ok", map[string]any{}))
		return
	}
	meta := map[string]any{}
	for k, v := range p.Payload {
		meta[k] = v
	}
	meta["phx_ref"] = randomRef()
	ch.mu.Lock()
	old := ch.tracked
	ch.tracked = meta
	ch.mu.Unlock()
	leaves := map[string]any{}
	if old != nil {
		leaves[ch.presenceKey] = map[string]any{"metas": []any{old}}
	}
	c.srv.presenceDiff(ch, map[string]any{ch.presenceKey: map[string]any{"metas": []any{meta}}}, leaves)
	c.send(reply(m, "ok", map[string]any{}))
}

// untrack removes a channel's presence and tells the topic.
func (s *Server) untrack(ch *channel) {
	ch.mu.Lock()
	old := ch.tracked
	ch.tracked = nil
	ch.mu.Unlock()
	if old != nil {
		s.presenceDiff(ch, map[string]any{}, map[string]any{ch.presenceKey: map[string]any{"metas": []any{old}}})
	}
}

func (s *Server) presenceDiff(from *channel, joins, leaves map[string]any) {
	b, _ := json.Marshal(map[string]any{"joins": joins, "leaves": leaves})
	s.mu.RLock()
	defer s.mu.RUnlock()
	for ch := range s.topics[from.topic] {
		if ch.private == from.private {
			ch.conn.send(Message{JoinRef: ch.joinRef, Topic: ch.topic, Event: "presence_diff", Payload: b})
		}
	}
}

// presenceState is {key: {metas: [...]}} of the channels tracked on a topic.
func (s *Server) presenceState(topic string, private bool) map[string]any {
	state := map[string]any{}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for ch := range s.topics[topic] {
		if ch.private != private {
			continue
		}
		ch.mu.Lock()
		meta := ch.tracked
		ch.mu.Unlock()
		if meta == nil {
			continue
		}
		entry, _ := state[ch.presenceKey].(map[string]any)
		if entry == nil {
			entry = map[string]any{"metas": []any{}}
			state[ch.presenceKey] = entry
		}
		entry["metas"] = append(entry["metas"].([]any), meta)
	}
	return state
}
