package rest

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/octanebridge/octane-bridge/supabase/local/internal/claims"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/pg"
)

type Service struct{}

func New(ctx context.Context, db *pg.DB, keys *claims.Keys, log *slog.Logger) (*Service, error) {
	return &Service{}, nil
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
