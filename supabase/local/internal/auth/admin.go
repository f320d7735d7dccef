package auth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// admin guards a handler of the admin API: only a service_role (or supabase_admin) JWT passes.
func (s *Service) admin(fn func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, ae := s.bearer(r)
		if ae != nil {
			return ae
		}
		if role := c.Role(); role != "service_role" && role != "supabase_admin" {
			return errf(403, "not_admin", "User not allowed")
		}
		return fn(w, r)
	}
}

func (s *Service) adminList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	perPage, _ := strconv.Atoi(q.Get("per_page"))
	if page < 1 {
		page = 1
	}
	if perPage < 1 {
		perPage = 50
	}
	ctx := r.Context()
	var total int
	if err := s.db.Pool.QueryRow(ctx, `select count(*) from auth.users where deleted_at is null`).Scan(&total); err != nil {
		return err
	}
	rows, err := s.db.Pool.Query(ctx, `select `+userCols+` from auth.users where deleted_at is null order by created_at desc, id limit $1 offset $2`, perPage, (page-1)*perPage)
	if err != nil {
		return err
	}
	users := []any{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return err
		}
		users = append(users, u.JSON(false))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	last := (total + perPage - 1) / perPage
	var links []string
	if page < last {
		links = append(links, fmt.Sprintf(`</admin/users?page=%d&per_page=%d>; rel="next"`, page+1, perPage))
	}
	if last > 0 {
		links = append(links, fmt.Sprintf(`</admin/users?page=%d&per_page=%d>; rel="last"`, last, perPage))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	writeJSON(w, 200, map[string]any{"users": users, "aud": "authenticated"})
	return nil
}

type adminParams struct {
	Email        *string         `json:"email"`
	Password     *string         `json:"password"`
	EmailConfirm bool            `json:"email_confirm"`
	UserMetadata map[string]any  `json:"user_metadata"`
	AppMetadata  map[string]any  `json:"app_metadata"`
	BanDuration  json.RawMessage `json:"ban_duration"`
}

// ban reads ban_duration: a Go duration string ("24h", "none") as GoTrue takes it, or a number of
// nanoseconds, which is how gotrue-go serialises its time.Duration field.
func (p adminParams) ban() (*string, error) {
	if len(p.BanDuration) == 0 || string(p.BanDuration) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(p.BanDuration, &s); err == nil {
		return &s, nil
	}
	var n int64
	if err := json.Unmarshal(p.BanDuration, &n); err != nil {
		return nil, errf(400, "validation_failed", "invalid format for ban duration")
	}
	if n == 0 {
		return nil, nil
	}
	s = time.Duration(n).String()
	return &s, nil
}

func (s *Service) adminCreate(w http.ResponseWriter, r *http.Request) error {
	var p adminParams
	if err := decode(r, &p); err != nil {
		return err
	}
	if p.Email == nil || *p.Email == "" {
		return errf(400, "validation_failed", "Unable to validate email address: invalid format")
	}
	email := strings.ToLower(strings.TrimSpace(*p.Email))
	if !validEmail(email) {
		return errf(400, "validation_failed", "Unable to validate email address: invalid format")
	}
	pw := ""
	if p.Password != nil {
		if ae := s.checkPassword(*p.Password); ae != nil {
			return ae
		}
		pw = *p.Password
	}
	ctx := r.Context()
	var out *user
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if u, err := userByEmail(ctx, tx, email); err != nil {
			return err
		} else if u != nil {
			return errf(422, "email_exists", "A user with this email address has already been registered")
		}
		u, err := s.createUser(ctx, tx, email, pw, p.UserMetadata, p.AppMetadata, p.EmailConfirm)
		if err != nil {
			return err
		}
		ban, err := p.ban()
		if err != nil {
			return err
		}
		out, err = s.applyUpdate(ctx, tx, u, nil, nil, nil, nil, ban)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, 200, out.JSON(true))
	return nil
}

func (s *Service) adminUser(r *http.Request, tx querier) (*user, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return nil, errf(404, "user_not_found", "User not found")
	}
	u, err := userByID(r.Context(), tx, id)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errf(404, "user_not_found", "User not found")
	}
	return u, nil
}

func (s *Service) adminGet(w http.ResponseWriter, r *http.Request) error {
	u, err := s.adminUser(r, s.db.Pool)
	if err != nil {
		return err
	}
	writeJSON(w, 200, u.JSON(true))
	return nil
}

func (s *Service) adminUpdate(w http.ResponseWriter, r *http.Request) error {
	var p adminParams
	if err := decode(r, &p); err != nil {
		return err
	}
	ctx := r.Context()
	var out *user
	err := s.tx(ctx, func(tx pgx.Tx) error {
		u, err := s.adminUser(r, tx)
		if err != nil {
			return err
		}
		ban, err := p.ban()
		if err != nil {
			return err
		}
		out, err = s.applyUpdate(ctx, tx, u, p.Email, p.Password, p.UserMetadata, p.AppMetadata, ban)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, 200, out.JSON(true))
	return nil
}

func (s *Service) adminDelete(w http.ResponseWriter, r *http.Request) error {
	u, err := s.adminUser(r, s.db.Pool)
	if err != nil {
		return err
	}
	if _, err := s.db.Pool.Exec(r.Context(), `delete from auth.users where id = $1`, u.ID); err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{})
	return nil
}
