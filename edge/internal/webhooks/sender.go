package webhooks

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	// MaxBody caps what is sent (payloads are far smaller) and what is read of an answer.
	MaxBody = 64 << 10
	// attemptTimeout bounds one attempt, connection to last byte; lease outlives it by far, so a
	// delivery is sent twice only when its edge died mid-attempt.
	attemptTimeout = 15 * time.Second
	lease          = 2 * time.Minute
	batch          = 8 // attempts in flight per instance
)

// Worker delivers the queue. Every edge instance runs one; they share the work through
// webhook_claim's SKIP LOCKED and leases.
type Worker struct {
	DB     *pgxpool.Pool
	Pepper []byte
	// AllowLoopback: WEBHOOK_ALLOW_LOOPBACK (local stack and tests).
	AllowLoopback bool
	// Every is how often an idle worker looks for due deliveries (default 1 s).
	Every time.Duration
	Log   *slog.Logger
	// Resolver for the SSRF guard (default net.DefaultResolver).
	Resolver Resolver
	// Now is the clock of webhook-timestamp (default time.Now).
	Now func() time.Time
}

type claimed struct {
	ID, Endpoint     uuid.UUID
	MessageID        string
	Payload          []byte
	Attempts         int
	CreatedAt        time.Time
	URL              string
	Secret, Previous []byte
}

// Client is the HTTP client of deliveries: guarded dialer, no proxy from the environment, no
// redirects followed, TLS ≥ 1.2 with the system roots.
func (w *Worker) Client() *http.Client {
	r := w.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: attemptTimeout,
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            Dialer{Resolver: r, AllowLoopback: w.AllowLoopback, Dial: d.DialContext}.DialContext,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    5 * time.Second,
			ResponseHeaderTimeout:  attemptTimeout,
			MaxResponseHeaderBytes: 16 << 10,
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        30 * time.Second,
			ForceAttemptHTTP2:      true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Run delivers until ctx ends: at most `batch` attempts at once, each claimed when a slot is
// free, so one slow endpoint holds one slot, not the queue. In-flight attempts finish (or time
// out) before Run returns.
func (w *Worker) Run(ctx context.Context) {
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	if w.Every <= 0 {
		w.Every = time.Second
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	seal := newSealer(w.Pepper)
	client := w.Client()
	slots := make(chan struct{}, batch)
	var wg sync.WaitGroup
	defer wg.Wait()
	for ctx.Err() == nil {
		wait := w.Every
		due, err := w.claim(ctx, batch-len(slots))
		if err != nil && ctx.Err() == nil {
			w.Log.Warn("webhook deliveries: claim failed", "err", err)
			wait = 5 * w.Every // the database is away: do not spin
		}
		for _, c := range due {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				w.attempt(ctx, seal, client, c)
			})
		}
		if len(due) > 0 && len(slots) < batch {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// claim takes up to n due deliveries (webhook_claim: SKIP LOCKED, a lease).
func (w *Worker) claim(ctx context.Context, n int) ([]claimed, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := w.DB.Query(ctx, `select id, endpoint_id, message_id, payload::text, attempts, created_at, url,
		secret_enc, previous_secret_enc from public.webhook_claim($1, $2)`, n, lease)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var due []claimed
	for rows.Next() {
		var c claimed
		if err := rows.Scan(&c.ID, &c.Endpoint, &c.MessageID, &c.Payload, &c.Attempts, &c.CreatedAt, &c.URL, &c.Secret, &c.Previous); err != nil {
			return nil, err
		}
		due = append(due, c)
	}
	return due, rows.Err()
}

// attempt sends one claimed delivery and records the outcome. An attempt cut short by shutdown
// is not recorded: its lease brings it back, without counting against the endpoint.
func (w *Worker) attempt(ctx context.Context, seal sealer, client *http.Client, c claimed) {
	status, latency, failure := w.send(ctx, seal, client, c)
	if ctx.Err() != nil && status == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var outcome string
	err := w.DB.QueryRow(rctx, `select public.webhook_record($1, $2, $3, $4, $5)`,
		c.ID, c.Attempts, status, int(latency.Milliseconds()), failure).Scan(&outcome)
	if err != nil {
		w.Log.Warn("webhook delivery not recorded; it is retried when its lease ends", "delivery", c.ID, "err", err)
		return
	}
	w.Log.Info("webhook delivery", "delivery", c.ID, "endpoint", c.Endpoint, "attempt", c.Attempts,
		"status", status, "outcome", outcome, "latency_ms", latency.Milliseconds())
}

// send makes one attempt: the answer's status (0 when there was none), its latency, and why it
// failed in words that name no address.
func (w *Worker) send(ctx context.Context, seal sealer, client *http.Client, c claimed) (int, time.Duration, string) {
	if err := CheckURL(c.URL, w.AllowLoopback); err != nil {
		return 0, 0, err.Error()
	}
	if len(c.Payload) > MaxBody {
		return 0, 0, "the payload exceeds 64 KiB"
	}
	secrets := make([]string, 0, 2)
	for _, box := range [][]byte{c.Secret, c.Previous} {
		if box == nil {
			continue
		}
		s, err := seal.open(box, c.Endpoint[:])
		if err != nil {
			return 0, 0, "the endpoint's secret cannot be read (API_KEY_PEPPER changed?)"
		}
		secrets = append(secrets, s)
	}
	at := w.Now()
	sig, err := Signature(c.MessageID, at, c.Payload, secrets...)
	if err != nil {
		return 0, 0, err.Error()
	}
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(c.Payload))
	if err != nil {
		return 0, 0, "the URL cannot be requested"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "OctaneBridge-Webhooks/1")
	req.Header.Set("webhook-id", c.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, time.Since(start), describe(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBody))
	resp.Body.Close()
	latency := time.Since(start)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return resp.StatusCode, latency, ""
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return resp.StatusCode, latency, "HTTP " + strconv.Itoa(resp.StatusCode) + ": redirects are not followed"
	default:
		return resp.StatusCode, latency, "HTTP " + strconv.Itoa(resp.StatusCode)
	}
}

// describe turns a transport error into the delivery log's words.
func describe(err error) string {
	var tlsErr *tls.CertificateVerificationError
	var ne net.Error
	switch {
	case errors.Is(err, errAddress):
		return errAddress.Error()
	case errors.Is(err, errLookup):
		return errLookup.Error()
	case errors.As(err, &tlsErr):
		return "the TLS certificate was not accepted"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "no answer within 15 s"
	default:
		return "the connection failed"
	}
}
