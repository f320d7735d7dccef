package httpapi

import (
	"context"
	"io"
	"log/slog"
	"strings"
)

// secretMarkers are substrings of values that must never reach a log: import tokens, API keys,
// JWTs and presigned URLs.
var secretMarkers = []string{"oit1.", "oct_live_", "eyJ", "X-Amz-Signature", "x-amz-signature", "X-Amz-Credential"}

func scrub(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); containsSecret(s) {
			return slog.String(a.Key, "[redacted]")
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok && err != nil && containsSecret(err.Error()) {
			return slog.String(a.Key, "[redacted]")
		}
	}
	return a
}

func containsSecret(s string) bool {
	for _, m := range secretMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// NewLogger is the edge's JSON logger; values that look like credentials or presigned URLs are
// replaced, as a second line of defence behind handlers that do not log them in the first place.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: scrub})
	return slog.New(scrubMessage{h})
}

// scrubMessage also checks the message itself.
type scrubMessage struct{ slog.Handler }

func (s scrubMessage) Handle(ctx context.Context, r slog.Record) error {
	if containsSecret(r.Message) {
		r.Message = "[redacted]"
	}
	return s.Handler.Handle(ctx, r)
}

func (s scrubMessage) WithAttrs(as []slog.Attr) slog.Handler {
	return scrubMessage{s.Handler.WithAttrs(as)}
}

func (s scrubMessage) WithGroup(n string) slog.Handler { return scrubMessage{s.Handler.WithGroup(n)} }
