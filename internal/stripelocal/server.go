// Package stripelocal is a stateful stand-in for Stripe on the local stack and in tests: the part
// of Stripe's REST API the edge calls through stripe-go (customers, products, prices, Checkout
// Sessions in subscription mode, subscriptions, invoices, Billing Portal sessions, webhook
// endpoints, events), the hosted pages those sessions point at (a Checkout payment form that
// takes Stripe's test cards, a 3D Secure page, a Customer Portal), and webhook deliveries signed
// with the endpoint's secret as Stripe signs them, retried with back-off as Stripe retries them.
//
// It is not a fake of Stripe's rules in general: what it implements, and how it differs from
// Stripe, is in docs/billing.md ("Local Stripe"). Production talks to Stripe.
package stripelocal

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Config configures a Server. The zero value serves an empty, in-memory account.
type Config struct {
	// BaseURL is where browsers reach this server (the Checkout and Portal URLs point here).
	BaseURL string
	// StatePath keeps the account in a JSON file across restarts (make dev); empty: memory only.
	StatePath string
	// WebhookURL and WebhookSecret register the endpoint a deployment creates with
	// `edge stripe-webhook` (the edge's /v1/stripe/webhook, STRIPE_WEBHOOK_SECRET), at start.
	WebhookURL, WebhookSecret string
	// RetryDelays are the waits between delivery attempts of an event the endpoint did not
	// accept (Stripe: exponential back-off over up to 3 days; here compressed, default
	// 1s 5s 25s 2m 10m 1h). The last attempt comes after the last delay.
	RetryDelays []time.Duration
	// Seed loads the demo account of supabase/seed.sql when the state is empty.
	Seed bool
	// BusinessName is shown on the hosted pages.
	BusinessName string
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// Log receives delivery failures and the like; default: discarded.
	Log *slog.Logger
	// HTTPClient delivers webhooks; default: a client with a 10 s timeout.
	HTTPClient *http.Client
}

// DefaultRetryDelays is Stripe's retry schedule, compressed to fit a working session.
var DefaultRetryDelays = []time.Duration{time.Second, 5 * time.Second, 25 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour}

// Server is the local Stripe. It is safe for concurrent use.
type Server struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	st      *State
	idem    map[string]idemEntry
	pending map[string]*pending
	flash   map[string]string

	ctx        context.Context
	cancel     context.CancelFunc
	deliveries sync.WaitGroup
	attempts   map[string]int // event id → delivery attempts so far (all endpoints)
}

type idemEntry struct {
	status int
	body   []byte
	at     time.Time
}

// New loads the state (or seeds it) and registers the configured webhook endpoint.
func New(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.RetryDelays == nil {
		cfg.RetryDelays = DefaultRetryDelays
	}
	if cfg.BusinessName == "" {
		cfg.BusinessName = "Octane Bridge"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.WebhookURL != "" && cfg.WebhookSecret == "" {
		return nil, errors.New("stripelocal: a webhook URL needs its signing secret")
	}
	s := &Server{cfg: cfg, log: cfg.Log, st: newState(), idem: map[string]idemEntry{}, pending: map[string]*pending{}, flash: map[string]string{}, attempts: map[string]int{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if cfg.StatePath != "" {
		b, err := os.ReadFile(cfg.StatePath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, err
		default:
			st := newState()
			if err := json.Unmarshal(b, st); err != nil {
				return nil, fmt.Errorf("stripelocal: state %s: %w (delete it to start afresh)", cfg.StatePath, err)
			}
			s.st = st
		}
	}
	if cfg.Seed && len(s.st.Products) == 0 {
		seed(s.st, cfg.Now().Unix())
	}
	if cfg.WebhookURL != "" {
		// One endpoint per URL: a restart with a new secret replaces the old one.
		for id, e := range s.st.Endpoints {
			if e.URL == cfg.WebhookURL {
				delete(s.st.Endpoints, id)
			}
		}
		e := &Endpoint{ID: "we_local", URL: cfg.WebhookURL, Secret: cfg.WebhookSecret, APIVersion: APIVersion,
			Events: []string{"*"}, Description: "configured at start", Created: cfg.Now().Unix(), Seq: s.st.next()}
		s.st.Endpoints[e.ID] = e
	}
	if err := s.save(); err != nil {
		return nil, err
	}
	return s, nil
}

// Close stops the renewal clock and waits for webhook deliveries in flight (retries waiting for
// their turn are dropped, as they would be when Stripe disables an endpoint).
func (s *Server) Close() {
	s.cancel()
	s.deliveries.Wait()
}

// save writes the state file (temp + rename); the caller holds mu or owns s.
func (s *Server) save() error {
	if s.cfg.StatePath == "" {
		return nil
	}
	// Keep the newest events only: the file is a working account, not an archive.
	if len(s.st.Events) > 500 {
		var oldest []*Event
		for _, e := range s.st.Events {
			oldest = append(oldest, e)
		}
		sortBySeq(oldest, func(e *Event) int64 { return e.Seq })
		for _, e := range oldest[500:] {
			delete(s.st.Events, e.ID)
		}
	}
	b, err := json.Marshal(s.st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.cfg.StatePath), 0o755); err != nil {
		return err
	}
	tmp := s.cfg.StatePath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.cfg.StatePath)
}

func (s *Server) now() int64 { return s.cfg.Now().Unix() }

// emitted announces obj as an event of typ and answers the API call with the same object: the
// event carries what the call returned, as Stripe's do.
func (s *Server) emitted(typ string, obj map[string]any) (any, *apiError) {
	s.emit(typ, obj, nil)
	return obj, nil
}

// emit records an event and delivers it to every endpoint that listens for its type. The caller
// holds mu; obj is the object as it is now (rendered), prev the changed fields' old values.
func (s *Server) emit(typ string, obj map[string]any, prev map[string]any) {
	e := &Event{ID: newID("evt"), Type: typ, Object: obj, Previous: prev, Created: s.now(), Seq: s.st.next()}
	s.st.Events[e.ID] = e
	var eps []*Endpoint
	for _, ep := range s.st.Endpoints {
		if listens(ep, typ) {
			eps = append(eps, ep)
		}
	}
	payload, err := json.MarshalIndent(renderEvent(e, len(eps)), "", "  ")
	if err != nil {
		s.log.Error("render event", "type", typ, "err", err)
		return
	}
	for _, ep := range eps {
		s.deliveries.Add(1)
		go s.deliver(*ep, e.ID, typ, payload)
	}
}

func listens(ep *Endpoint, typ string) bool {
	for _, t := range ep.Events {
		if t == "*" || t == typ {
			return true
		}
	}
	return false
}

// Sign is the Stripe-Signature header Stripe sends: t=<unix time>,v1=<hex HMAC-SHA256 of
// "<t>.<payload>" keyed with the endpoint's whole signing secret>.
func Sign(payload []byte, secret string, t time.Time) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.", t.Unix())
	mac.Write(payload)
	return fmt.Sprintf("t=%d,v1=%s", t.Unix(), hex.EncodeToString(mac.Sum(nil)))
}

// sortBySeq sorts newest first (Stripe's list order) by key.
func sortBySeq[T any](xs []T, key func(T) int64) {
	slices.SortFunc(xs, func(a, b T) int { return cmp.Compare(key(b), key(a)) })
}

// deliver posts one event to one endpoint until it answers 2xx or the retries run out. Every
// attempt is signed afresh (Stripe's signature timestamp is the attempt's).
func (s *Server) deliver(ep Endpoint, id, typ string, payload []byte) {
	defer s.deliveries.Done()
	for attempt := 0; ; attempt++ {
		s.mu.Lock()
		s.attempts[id]++
		s.mu.Unlock()
		err := s.post(ep, payload)
		if err == nil {
			return
		}
		if attempt >= len(s.cfg.RetryDelays) {
			s.log.Warn("webhook delivery failed; no retries left", "event", id, "type", typ, "endpoint", ep.URL, "attempts", attempt+1, "err", err)
			return
		}
		wait := s.cfg.RetryDelays[attempt]
		s.log.Warn("webhook delivery failed; retrying", "event", id, "type", typ, "endpoint", ep.URL, "attempt", attempt+1, "retry_in", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-s.ctx.Done():
			return
		}
	}
}

func (s *Server) post(ep Endpoint, payload []byte) error {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, strings.NewReader(string(payload)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	req.Header.Set("Stripe-Signature", Sign(payload, ep.Secret, s.cfg.Now()))
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("answered %d", resp.StatusCode)
	}
	return nil
}

// Attempts is how many times the event was posted so far, over all endpoints (tests).
func (s *Server) Attempts(eventID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[eventID]
}

// Events lists the recorded events of a type, oldest first (tests and the docs' examples).
func (s *Server) Events(typ string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Event
	for _, e := range s.st.Events {
		if typ == "" || e.Type == typ {
			out = append(out, e)
		}
	}
	sortBySeq(out, func(e *Event) int64 { return -e.Seq })
	res := make([]Event, len(out))
	for i, e := range out {
		res[i] = *e
	}
	return res
}

// Handler serves the API under /v1/, the hosted pages and /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routesAPI(mux)
	s.routesPages(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	return mux
}
