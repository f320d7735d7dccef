package edgeclient

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
)

// Session turns the device API key into short-lived device JWTs (POST /v1/auth/token), cached
// and refreshed shortly before they expire.
type Session struct {
	c      *Client
	apiKey string

	sem chan struct{} // one exchange at a time; waiting honours ctx

	mu        sync.Mutex
	token     string
	refreshAt time.Time
	expiresAt time.Time
	deviceID  string
	userID    string
	listeners []func(string)
}

// NewSession starts a session for apiKey; nothing is sent until the first Token call.
func (c *Client) NewSession(apiKey string) *Session {
	return &Session{c: c, apiKey: apiKey, sem: make(chan struct{}, 1)}
}

// OnRefresh registers f to receive every newly minted JWT (Realtime pushes it to open channels).
func (s *Session) OnRefresh(f func(token string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, f)
}

// DeviceID is the paired device, known after the first successful exchange.
func (s *Session) DeviceID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deviceID
}

// UserID is the device's owner, known after the first successful exchange.
func (s *Session) UserID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userID
}

// Token returns a device JWT valid for a while yet, exchanging the key when the cached one is
// near its end. A revoked or unknown key answers AUTH_FAILED.
func (s *Session) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	tok, fresh := s.token, s.token != "" && s.c.now().Before(s.refreshAt)
	s.mu.Unlock()
	if fresh {
		return tok, nil
	}
	return s.refresh(ctx, tok)
}

// refresh exchanges the key unless another caller already replaced stale (the token that failed).
func (s *Session) refresh(ctx context.Context, stale string) (string, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.sem }()
	s.mu.Lock()
	if s.token != "" && s.token != stale && s.c.now().Before(s.refreshAt) {
		tok := s.token
		s.mu.Unlock()
		return tok, nil
	}
	s.mu.Unlock()

	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		DeviceID    string `json:"device_id"`
		UserID      string `json:"user_id"`
	}
	start := s.c.now()
	if err := s.c.edgeCall(ctx, http.MethodPost, "/v1/auth/token", s.apiKey, nil, &out); err != nil {
		if fault.CodeOf(err) == CodeAuthFailed {
			s.mu.Lock()
			s.token = "" // never hand out a JWT of a key the edge refuses
			s.mu.Unlock()
		}
		return "", err
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return "", &Error{Code: CodeUnexpected, Msg: "auth token response lacks fields"}
	}
	// Lifetimes count from when the request was sent, on our clock: the server's clock may differ.
	life := time.Duration(out.ExpiresIn) * time.Second
	s.mu.Lock()
	s.token = out.AccessToken
	s.expiresAt = start.Add(life)
	s.refreshAt = start.Add(life - refreshMargin(life))
	s.deviceID, s.userID = out.DeviceID, out.UserID
	listeners := append([]func(string){}, s.listeners...)
	s.mu.Unlock()
	for _, f := range listeners {
		f(out.AccessToken)
	}
	return out.AccessToken, nil
}

// refreshMargin: a minute before expiry, or a quarter of a short lifetime.
func refreshMargin(life time.Duration) time.Duration {
	return min(time.Minute, life/4)
}
