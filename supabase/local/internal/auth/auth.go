// Package auth is the stand-in's GoTrue subset (/auth/v1): e-mail sign-up with auto-confirm,
// password and refresh-token grants with rotation and reuse detection, the user endpoints, logout
// scopes, OTP / magic links / recovery through a local mailbox, and the admin user API. Bodies,
// status codes and error codes follow a real GoTrue (see docs/local-stack.md).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/supabase"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/claims"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/pg"
)

// Config tunes the service.
type Config struct {
	JWTExpiry time.Duration // access token lifetime (GoTrue JWT_EXP, default 1h)
	Issuer    string        // iss claim; the Supabase CLI uses <api url>/auth/v1
	SiteURL   string        // default redirect for e-mail links
	PublicURL string        // base URL the links in e-mails point to (…/auth/v1)
	// ReuseInterval is GoTrue's refresh-token reuse window: a just-rotated token presented again
	// within it returns the current session instead of counting as reuse.
	ReuseInterval time.Duration
	// Rules are supabase/config.toml's [auth] settings: password rules, redirect allow-list,
	// sign-up, e-mail confirmation, secure password change (SiteURL above wins over theirs).
	Rules supabase.AuthSettings
	Log   *slog.Logger
}

// Service serves /auth/v1.
type Service struct {
	db   *pg.DB
	keys *claims.Keys
	cfg  Config
	mail *Mailbox
}

// New builds the service.
func New(db *pg.DB, keys *claims.Keys, cfg Config, mail *Mailbox) *Service {
	if cfg.JWTExpiry == 0 {
		cfg.JWTExpiry = time.Hour
	}
	if cfg.ReuseInterval == 0 {
		cfg.ReuseInterval = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Rules.MinimumPasswordLength == 0 {
		cfg.Rules.MinimumPasswordLength = 6 // GoTrue's floor
	}
	cfg.Rules.SiteURL = cfg.SiteURL
	return &Service{db: db, keys: keys, cfg: cfg, mail: mail}
}

// Handler routes /auth/v1 (mount it with the prefix stripped).
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			// GoTrue stamps its API version on every response; auth-js reads error codes by it.
			w.Header().Set("X-Supabase-Api-Version", "2024-01-01")
			if err := fn(w, r); err != nil {
				var ae *apiError
				if !errors.As(err, &ae) {
					s.cfg.Log.Error("auth", "path", r.URL.Path, "err", err)
					ae = errf(500, "unexpected_failure", "Unexpected failure, please check server logs for more information")
				}
				writeError(w, r, ae)
			}
		})
	}
	h("GET /health", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, 200, map[string]any{"version": "stand-in", "name": "GoTrue", "description": "GoTrue is a user registration and authentication API"})
		return nil
	})
	h("GET /settings", s.settings)
	h("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "public, max-age=600")
		writeJSON(w, 200, s.keys.JWKS())
		return nil
	})
	h("POST /signup", s.signup)
	h("POST /token", s.token)
	h("GET /user", s.getUser)
	h("PUT /user", s.putUser)
	h("POST /logout", s.logout)
	h("POST /otp", s.otp)
	h("POST /magiclink", s.otp)
	h("POST /recover", s.recover)
	h("POST /verify", s.verifyPost)
	h("GET /verify", s.verifyGet)
	h("GET /admin/users", s.admin(s.adminList))
	h("POST /admin/users", s.admin(s.adminCreate))
	h("GET /admin/users/{id}", s.admin(s.adminGet))
	h("PUT /admin/users/{id}", s.admin(s.adminUpdate))
	h("DELETE /admin/users/{id}", s.admin(s.adminDelete))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errf(404, "not_found", "Not Found"))
	})
	return mux
}

func (s *Service) settings(w http.ResponseWriter, r *http.Request) error {
	ext := map[string]any{}
	for _, p := range []string{"anonymous_users", "apple", "azure", "bitbucket", "discord", "facebook", "snapchat", "figma", "fly", "github", "gitlab", "google", "keycloak", "kakao", "linkedin", "linkedin_oidc", "notion", "spotify", "slack", "slack_oidc", "workos", "twitch", "twitter", "phone", "zoom"} {
		ext[p] = false
	}
	ext["email"] = true
	writeJSON(w, 200, map[string]any{"external": ext, "disable_signup": !s.cfg.Rules.EnableSignup, "mailer_autoconfirm": !s.cfg.Rules.EnableConfirmations,
		"phone_autoconfirm": false, "sms_provider": "", "saml_enabled": false, "saml_private_key_next_configured": true, "passkeys_enabled": false})
	return nil
}

// decode reads a JSON body (capped) into v.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return errf(400, "bad_json", "Could not read request body")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errf(400, "bad_json", "Could not parse request body as JSON: "+err.Error())
	}
	return nil
}

func validEmail(e string) bool {
	if len(e) > 255 {
		return false
	}
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && strings.Contains(e[strings.LastIndex(e, "@"):], ".")
}

// checkPassword is GoTrue's checkPasswordStrength with config.toml's minimum_password_length and
// password_requirements.
func (s *Service) checkPassword(p string) *apiError {
	if len(p) > 72 {
		return errf(422, "validation_failed", "Password cannot be longer than 72 characters")
	}
	reasons := s.cfg.Rules.CheckPassword(p)
	if len(reasons) == 0 {
		return nil
	}
	var msg []string
	for _, r := range reasons {
		switch r {
		case "length":
			msg = append(msg, fmt.Sprintf("Password should be at least %d characters.", s.cfg.Rules.MinimumPasswordLength))
		case "characters":
			msg = append(msg, "Password should contain at least one character of each: "+strings.Join(supabase.RequiredCharacters(s.cfg.Rules.PasswordRequirements), ", ")+".")
		}
	}
	e := errf(422, "weak_password", strings.Join(msg, " "))
	e.extra = map[string]any{"weak_password": map[string]any{"reasons": reasons}}
	return e
}

func randomToken(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		x, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[x.Int64()]
	}
	return string(b)
}

func hashToken(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

type signupParams struct {
	Email    string         `json:"email"`
	Phone    string         `json:"phone"`
	Password string         `json:"password"`
	Data     map[string]any `json:"data"`
	// PKCE (supabase-js flowType 'pkce'): the confirmation link then returns ?code=.
	CodeChallenge       string `json:"code_challenge"`
	CodeChallengeMethod string `json:"code_challenge_method"`
}

func (s *Service) signup(w http.ResponseWriter, r *http.Request) error {
	var p signupParams
	if err := decode(r, &p); err != nil {
		return err
	}
	if !s.cfg.Rules.EnableSignup {
		return errf(422, "signup_disabled", "Signups not allowed for this instance")
	}
	if p.Email == "" && p.Phone == "" {
		return errf(422, "anonymous_provider_disabled", "Anonymous sign-ins are disabled")
	}
	if p.Phone != "" && p.Email == "" {
		return errf(400, "phone_provider_disabled", "Phone signups are disabled")
	}
	p.Email = strings.ToLower(strings.TrimSpace(p.Email))
	if !validEmail(p.Email) {
		return errf(400, "validation_failed", "Unable to validate email address: invalid format")
	}
	if err := s.checkPassword(p.Password); err != nil {
		return err
	}
	pk, err := otpParams{CodeChallenge: p.CodeChallenge, CodeChallengeMethod: p.CodeChallengeMethod}.pkce()
	if err != nil {
		return err
	}
	confirm := s.cfg.Rules.EnableConfirmations
	ctx := r.Context()
	var body map[string]any
	err = s.tx(ctx, func(tx pgx.Tx) error {
		u, err := userByEmail(ctx, tx, p.Email)
		if err != nil {
			return err
		}
		switch {
		case u != nil && !confirm:
			return errf(422, "user_already_exists", "User already registered")
		case u != nil && u.EmailConfirmed != nil:
			// GoTrue answers as for a new sign-up, with an obfuscated user, so the form does
			// not reveal who has an account; no mail is sent.
			fake := *u
			fake.ID, fake.UserMeta, fake.AppMeta, fake.EmailConfirmed, fake.LastSignIn = uuid.New(), nil, nil, nil, nil
			fake.CreatedAt, fake.UpdatedAt = s.keys.Now(), s.keys.Now()
			body = fake.JSON(false)
			body["identities"] = []any{}
			return nil
		case u == nil:
			if u, err = s.createUser(ctx, tx, p.Email, p.Password, p.Data, nil, !confirm); err != nil {
				return err
			}
		}
		if !confirm {
			body, err = s.issue(ctx, tx, u, "password")
			return err
		}
		// Confirmation required: mail the link (again, for an unconfirmed account) and answer
		// with the user and no session, as GoTrue does.
		if _, err := tx.Exec(ctx, `update auth.users set confirmation_sent_at = now() where id = $1`, u.ID); err != nil {
			return err
		}
		if err := s.sendLink(ctx, tx, u, "signup", r.URL.Query().Get("redirect_to"), pk); err != nil {
			return err
		}
		if u, err = userByID(ctx, tx, u.ID); err != nil {
			return err
		}
		body = u.JSON(true)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, 200, body)
	return nil
}

// createUser inserts an e-mail user; GoTrue copies the identity data into user_metadata.
func (s *Service) createUser(ctx context.Context, tx pgx.Tx, email, password string, data, appMeta map[string]any, confirm bool) (*user, error) {
	id := uuid.New()
	meta := map[string]any{}
	for k, v := range data {
		meta[k] = v
	}
	meta["email"], meta["email_verified"], meta["phone_verified"], meta["sub"] = email, confirm, false, id.String()
	app := map[string]any{"provider": "email", "providers": []string{"email"}}
	for k, v := range appMeta {
		app[k] = v
	}
	var pw *string
	if password != "" {
		pw = &password
	}
	row := tx.QueryRow(ctx, `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
		raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
		values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2,
		        case when $3::text is null then null else extensions.crypt($3::text, extensions.gen_salt('bf', 10)) end,
		        case when $4 then now() end, $5, $6, now(), now())
		returning `+userCols, id, email, pw, confirm, app, meta)
	return scanUser(row)
}

func (s *Service) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.db.Pool, fn)
}

// issue starts a session for u and returns GoTrue's AccessTokenResponse.
func (s *Service) issue(ctx context.Context, tx pgx.Tx, u *user, method string) (map[string]any, error) {
	now := s.keys.Now()
	amr := []map[string]any{{"method": method, "timestamp": now.Unix()}}
	var sid uuid.UUID
	if err := tx.QueryRow(ctx, `insert into auth.sessions (user_id, amr) values ($1, $2) returning id`, u.ID, amr).Scan(&sid); err != nil {
		return nil, err
	}
	refresh := randomToken(12)
	if _, err := tx.Exec(ctx, `insert into auth.refresh_tokens (token, user_id, session_id) values ($1, $2, $3)`, refresh, u.ID, sid); err != nil {
		return nil, err
	}
	u2, err := scanUser(tx.QueryRow(ctx, `update auth.users set last_sign_in_at = now(), updated_at = now() where id = $1 returning `+userCols, u.ID))
	if err != nil {
		return nil, err
	}
	return s.sessionJSON(u2, sid, refresh, amr)
}

func (s *Service) sessionJSON(u *user, sid uuid.UUID, refresh string, amr any) (map[string]any, error) {
	now := s.keys.Now()
	exp := now.Add(s.cfg.JWTExpiry)
	c := map[string]any{
		"aud": u.Aud, "exp": exp.Unix(), "iat": now.Unix(), "sub": u.ID.String(), "email": u.Email, "phone": u.Phone,
		"app_metadata": orEmpty(u.AppMeta), "user_metadata": orEmpty(u.UserMeta), "role": u.Role,
		"aal": "aal1", "amr": amr, "session_id": sid.String(), "is_anonymous": u.IsAnonymous,
	}
	if s.cfg.Issuer != "" {
		c["iss"] = s.cfg.Issuer
	}
	tok, err := s.keys.Sign(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": int(s.cfg.JWTExpiry.Seconds()),
		"expires_at": exp.Unix(), "refresh_token": refresh, "user": u.JSON(true)}, nil
}

type tokenParams struct {
	Email        string `json:"email"`
	Phone        string `json:"phone"`
	Password     string `json:"password"`
	RefreshToken string `json:"refresh_token"`
	AuthCode     string `json:"auth_code"`
	CodeVerifier string `json:"code_verifier"`
}

// pkceGrant exchanges a verified flow's auth code and the client's code verifier for a session.
func (s *Service) pkceGrant(w http.ResponseWriter, r *http.Request, p tokenParams) error {
	if p.AuthCode == "" || p.CodeVerifier == "" {
		return errf(400, "validation_failed", "invalid request: both auth code and code verifier should be non-empty")
	}
	ctx := r.Context()
	var session map[string]any
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var uid uuid.UUID
		var challenge, method, amr string
		err := tx.QueryRow(ctx, `delete from auth.flow_state where auth_code = $1 and verified_at is not null
			and created_at > now() - interval '10 minutes'
			returning user_id, code_challenge, code_challenge_method, authentication_method`, p.AuthCode).Scan(&uid, &challenge, &method, &amr)
		if errors.Is(err, pgx.ErrNoRows) {
			return errf(404, "flow_state_not_found", "invalid flow state, no valid flow state found")
		}
		if err != nil {
			return err
		}
		want := p.CodeVerifier
		if method == "s256" {
			h := sha256.Sum256([]byte(p.CodeVerifier))
			want = base64.RawURLEncoding.EncodeToString(h[:])
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) != 1 {
			return errf(403, "bad_code_verifier", "code challenge does not match previously saved code verifier")
		}
		u, err := userByID(ctx, tx, uid)
		if err != nil {
			return err
		}
		if u == nil {
			return errf(404, "user_not_found", "User not found")
		}
		session, err = s.issue(ctx, tx, u, amr)
		return err
	})
	if err != nil {
		// A failed verifier check must still burn the code; commit it separately.
		var ae *apiError
		if errors.As(err, &ae) && ae.code == "bad_code_verifier" {
			s.db.Pool.Exec(ctx, `delete from auth.flow_state where auth_code = $1`, p.AuthCode)
		}
		return err
	}
	writeJSON(w, 200, session)
	return nil
}

func (s *Service) token(w http.ResponseWriter, r *http.Request) error {
	var p tokenParams
	if err := decode(r, &p); err != nil {
		return err
	}
	switch gt := r.URL.Query().Get("grant_type"); gt {
	case "password":
		return s.passwordGrant(w, r, p)
	case "refresh_token":
		return s.refreshGrant(w, r, p)
	case "pkce":
		return s.pkceGrant(w, r, p)
	default:
		return errf(400, "validation_failed", "unsupported_grant_type")
	}
}

func (s *Service) passwordGrant(w http.ResponseWriter, r *http.Request, p tokenParams) error {
	ctx := r.Context()
	if p.Email == "" && p.Phone == "" {
		return errf(400, "validation_failed", "missing email or phone")
	}
	var session map[string]any
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var ok bool
		var id uuid.UUID
		err := tx.QueryRow(ctx, `select id, encrypted_password is not null and encrypted_password = extensions.crypt($2, encrypted_password)
			from auth.users where lower(email) = lower($1) and deleted_at is null`, p.Email, p.Password).Scan(&id, &ok)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !ok) {
			return errf(400, "invalid_credentials", "Invalid login credentials")
		}
		if err != nil {
			return err
		}
		u, err := userByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if u.banned(s.keys.Now()) {
			return errf(400, "user_banned", "User is banned")
		}
		if u.EmailConfirmed == nil {
			return errf(400, "email_not_confirmed", "Email not confirmed")
		}
		session, err = s.issue(ctx, tx, u, "password")
		if err == nil {
			session["weak_password"] = nil
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, 200, session)
	return nil
}

func (s *Service) refreshGrant(w http.ResponseWriter, r *http.Request, p tokenParams) error {
	ctx := r.Context()
	if p.RefreshToken == "" {
		return errf(400, "validation_failed", "refresh_token required")
	}
	notFound := errf(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
	var session map[string]any
	reused := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var (
			id      int64
			uid     uuid.UUID
			sid     uuid.UUID
			revoked bool
			updated time.Time
			amr     any
		)
		err := tx.QueryRow(ctx, `select rt.id, rt.user_id, rt.session_id, rt.revoked, rt.updated_at, s.amr
			from auth.refresh_tokens rt join auth.sessions s on s.id = rt.session_id
			where rt.token = $1 for update of rt, s`, p.RefreshToken).Scan(&id, &uid, &sid, &revoked, &updated, &amr)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound
		}
		if err != nil {
			return err
		}
		u, err := userByID(ctx, tx, uid)
		if err != nil {
			return err
		}
		if u == nil {
			return notFound
		}
		if u.banned(s.keys.Now()) {
			return errf(400, "user_banned", "User is banned")
		}
		next := ""
		if revoked {
			// A rotated token came back. Within the reuse window (concurrent tabs refreshing at
			// once) hand out the session's current token; after it, treat it as theft and end
			// the whole session, as GoTrue's reuse detection does.
			var active string
			err := tx.QueryRow(ctx, `select token from auth.refresh_tokens where session_id = $1 and not revoked order by id desc limit 1`, sid).Scan(&active)
			if err == nil && s.keys.Now().Sub(updated) < s.cfg.ReuseInterval {
				next = active
			} else {
				// Commit the revocation; the error is returned after the transaction.
				reused = true
				_, err := tx.Exec(ctx, `delete from auth.sessions where id = $1`, sid)
				return err
			}
		} else {
			next = randomToken(12)
			if _, err := tx.Exec(ctx, `update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1`, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `insert into auth.refresh_tokens (token, user_id, session_id, parent) values ($1, $2, $3, $4)`, next, uid, sid, p.RefreshToken); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `update auth.sessions set refreshed_at = now(), updated_at = now() where id = $1`, sid); err != nil {
				return err
			}
		}
		session, err = s.sessionJSON(u, sid, next, amr)
		return err
	})
	if err != nil {
		return err
	}
	if reused {
		return errf(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used")
	}
	writeJSON(w, 200, session)
	return nil
}

// bearer verifies the Authorization header as GoTrue does for /user and /logout.
func (s *Service) bearer(r *http.Request) (claims.Claims, *apiError) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "bearer ")
	}
	if !ok || strings.TrimSpace(tok) == "" {
		return nil, errf(401, "no_authorization", "This endpoint requires a valid Bearer token")
	}
	c, err := s.keys.Verify(tok, false)
	if err != nil {
		ce := claims.AsError(err)
		if ce.Kind == claims.Expired {
			return nil, errf(403, "bad_jwt", "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired")
		}
		return nil, errf(403, "bad_jwt", "invalid JWT: unable to parse or verify signature, "+ce.Detail)
	}
	return c, nil
}

func (s *Service) getUser(w http.ResponseWriter, r *http.Request) error {
	u, _, err := s.requireAuthentication(r.Context(), s.db.Pool, r)
	if err != nil {
		return err
	}
	writeJSON(w, 200, u.JSON(true))
	return nil
}

type userUpdate struct {
	Email    *string        `json:"email"`
	Password *string        `json:"password"`
	Data     map[string]any `json:"data"`
	Nonce    string         `json:"nonce"`
}

// requireRecentSignIn is GoTrue's secure password change (UserUpdate with
// UpdatePasswordRequireReauthentication): a session created more than 24 h ago needs a
// reauthentication nonce. The stand-in has no /reauthenticate, so such a session cannot change
// the password until the user signs in again.
func (s *Service) requireRecentSignIn(ctx context.Context, tx pgx.Tx, sid *uuid.UUID, nonce string) error {
	if sid != nil {
		var recent bool
		err := tx.QueryRow(ctx, `select created_at > now() - interval '24 hours' from auth.sessions where id = $1`, *sid).Scan(&recent)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if recent {
			return nil
		}
	}
	if nonce == "" {
		return errf(400, "reauthentication_needed", "Password update requires reauthentication")
	}
	return errf(400, "reauthentication_not_valid", "Requires reauthentication")
}

func (s *Service) putUser(w http.ResponseWriter, r *http.Request) error {
	// GoTrue authenticates (middleware) before it reads the body.
	if _, _, err := s.requireAuthentication(r.Context(), s.db.Pool, r); err != nil {
		return err
	}
	var p userUpdate
	if err := decode(r, &p); err != nil {
		return err
	}
	ctx := r.Context()
	var out *user
	err := s.tx(ctx, func(tx pgx.Tx) error {
		u, sid, err := s.requireAuthentication(ctx, tx, r)
		if err != nil {
			return err
		}
		if p.Password != nil && s.cfg.Rules.SecurePasswordChange {
			if err := s.requireRecentSignIn(ctx, tx, sid, p.Nonce); err != nil {
				return err
			}
		}
		out, err = s.applyUpdate(ctx, tx, u, p.Email, p.Password, p.Data, nil, nil)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, 200, out.JSON(true))
	return nil
}

// applyUpdate changes e-mail (confirmed at once locally), password and metadata.
func (s *Service) applyUpdate(ctx context.Context, tx pgx.Tx, u *user, email, password *string, data, appData map[string]any, ban *string) (*user, error) {
	if password != nil {
		if ae := s.checkPassword(*password); ae != nil {
			return nil, ae
		}
		if _, err := tx.Exec(ctx, `update auth.users set encrypted_password = extensions.crypt($2, extensions.gen_salt('bf', 10)), updated_at = now() where id = $1`, u.ID, *password); err != nil {
			return nil, err
		}
	}
	if email != nil && !strings.EqualFold(*email, u.Email) {
		e := strings.ToLower(strings.TrimSpace(*email))
		if !validEmail(e) {
			return nil, errf(400, "validation_failed", "Unable to validate email address: invalid format")
		}
		if other, err := userByEmail(ctx, tx, e); err != nil {
			return nil, err
		} else if other != nil {
			return nil, errf(422, "email_exists", "A user with this email address has already been registered")
		}
		if _, err := tx.Exec(ctx, `update auth.users set email = $2::text, email_confirmed_at = now(), updated_at = now(),
			raw_user_meta_data = raw_user_meta_data || jsonb_build_object('email', $2::text) where id = $1`, u.ID, e); err != nil {
			return nil, err
		}
	}
	if data != nil {
		if _, err := tx.Exec(ctx, `update auth.users set raw_user_meta_data = raw_user_meta_data || $2, updated_at = now() where id = $1`, u.ID, data); err != nil {
			return nil, err
		}
	}
	if appData != nil {
		if _, err := tx.Exec(ctx, `update auth.users set raw_app_meta_data = raw_app_meta_data || $2, updated_at = now() where id = $1`, u.ID, appData); err != nil {
			return nil, err
		}
	}
	if ban != nil {
		if *ban == "none" {
			if _, err := tx.Exec(ctx, `update auth.users set banned_until = null, updated_at = now() where id = $1`, u.ID); err != nil {
				return nil, err
			}
		} else {
			d, err := time.ParseDuration(*ban)
			if err != nil {
				return nil, errf(400, "validation_failed", "invalid format for ban duration: "+err.Error())
			}
			if _, err := tx.Exec(ctx, `update auth.users set banned_until = now() + make_interval(secs => $2), updated_at = now() where id = $1`, u.ID, d.Seconds()); err != nil {
				return nil, err
			}
			if _, err := tx.Exec(ctx, `delete from auth.sessions where user_id = $1`, u.ID); err != nil {
				return nil, err
			}
		}
	}
	return userByID(ctx, tx, u.ID)
}

// logout is GoTrue's Logout (internal/api/logout.go): with a session, scope local ends it and
// others ends the rest; without one (no session_id claim) every scope ends all of the user's
// sessions. A session_id naming no session never gets here (requireAuthentication: 403).
func (s *Service) logout(w http.ResponseWriter, r *http.Request) error {
	scope := r.URL.Query().Get("scope")
	switch scope {
	case "", "global", "local", "others":
	default:
		if _, _, err := s.requireAuthentication(r.Context(), s.db.Pool, r); err != nil {
			return err
		}
		return errf(400, "validation_failed", fmt.Sprintf("Unsupported logout scope %q", scope))
	}
	ctx := r.Context()
	err := s.tx(ctx, func(tx pgx.Tx) error {
		u, sid, err := s.requireAuthentication(ctx, tx, r)
		if err != nil {
			return err
		}
		switch {
		case sid != nil && scope == "local":
			_, err = tx.Exec(ctx, `delete from auth.sessions where id = $1`, *sid)
		case sid != nil && scope == "others":
			_, err = tx.Exec(ctx, `delete from auth.sessions where user_id = $1 and id <> $2`, u.ID, *sid)
		default:
			_, err = tx.Exec(ctx, `delete from auth.sessions where user_id = $1`, u.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type otpParams struct {
	Email      string         `json:"email"`
	Phone      string         `json:"phone"`
	CreateUser *bool          `json:"create_user"`
	Data       map[string]any `json:"data"`
	// PKCE (supabase-js flowType 'pkce', the @supabase/ssr default)
	CodeChallenge       string `json:"code_challenge"`
	CodeChallengeMethod string `json:"code_challenge_method"`
}

func (p otpParams) pkce() (*pkceChallenge, error) {
	if p.CodeChallenge == "" {
		return nil, nil
	}
	m := strings.ToLower(p.CodeChallengeMethod)
	if m != "s256" && m != "plain" {
		return nil, errf(400, "validation_failed", "code challenge method not supported")
	}
	if len(p.CodeChallenge) < 43 || len(p.CodeChallenge) > 128 {
		return nil, errf(400, "validation_failed", "code challenge has to be between 43 and 128 characters")
	}
	return &pkceChallenge{challenge: p.CodeChallenge, method: m}, nil
}

type pkceChallenge struct{ challenge, method string }

// otp sends a magic link + 6-digit code to the local mailbox (and the log).
func (s *Service) otp(w http.ResponseWriter, r *http.Request) error {
	var p otpParams
	if err := decode(r, &p); err != nil {
		return err
	}
	if p.Phone != "" {
		return errf(400, "phone_provider_disabled", "Unsupported phone provider")
	}
	return s.mailLink(w, r, &p, func(ctx context.Context, tx pgx.Tx, u *user, pk *pkceChallenge) error {
		var err error
		if u == nil {
			if p.CreateUser != nil && !*p.CreateUser {
				return errf(422, "otp_disabled", "Signups not allowed for otp")
			}
			if u, err = s.createUser(ctx, tx, p.Email, "", p.Data, nil, true); err != nil {
				return err
			}
		}
		return s.sendLink(ctx, tx, u, "magiclink", r.URL.Query().Get("redirect_to"), pk)
	})
}

func (s *Service) recover(w http.ResponseWriter, r *http.Request) error {
	var p otpParams
	if err := decode(r, &p); err != nil {
		return err
	}
	return s.mailLink(w, r, &p, func(ctx context.Context, tx pgx.Tx, u *user, pk *pkceChallenge) error {
		if u == nil {
			return nil // unknown e-mails get the same 200, as GoTrue does
		}
		if _, err := tx.Exec(ctx, `update auth.users set recovery_sent_at = now() where id = $1`, u.ID); err != nil {
			return err
		}
		return s.sendLink(ctx, tx, u, "recovery", r.URL.Query().Get("redirect_to"), pk)
	})
}

// mailLink checks the e-mail (normalising p.Email) and the PKCE challenge of an /otp or /recover
// request, runs send with the e-mail's user (nil when unknown) in one transaction and answers
// GoTrue's empty 200.
func (s *Service) mailLink(w http.ResponseWriter, r *http.Request, p *otpParams, send func(ctx context.Context, tx pgx.Tx, u *user, pk *pkceChallenge) error) error {
	p.Email = strings.ToLower(strings.TrimSpace(p.Email))
	if !validEmail(p.Email) {
		return errf(400, "validation_failed", "Unable to validate email address: invalid format")
	}
	pk, err := p.pkce()
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.tx(ctx, func(tx pgx.Tx) error {
		u, err := userByEmail(ctx, tx, p.Email)
		if err != nil {
			return err
		}
		return send(ctx, tx, u, pk)
	})
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{})
	return nil
}

// sendLink stores one token of the type (the code and the link's hash both map to it) and mails it.
func (s *Service) sendLink(ctx context.Context, tx pgx.Tx, u *user, typ, redirect string, pk *pkceChallenge) error {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	code := fmt.Sprintf("%06d", n.Int64())
	linkToken := randomToken(40)
	tokType := typ
	if typ == "signup" {
		tokType = "magiclink" // consume treats signup, invite and magiclink alike
	}
	if _, err := tx.Exec(ctx, `delete from auth.one_time_tokens where user_id = $1 and token_type = $2`, u.ID, tokType); err != nil {
		return err
	}
	for _, h := range []string{hashToken(u.Email + code), hashToken(linkToken)} {
		if _, err := tx.Exec(ctx, `insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to) values ($1, $2, $3, $4)`, u.ID, tokType, h, u.Email); err != nil {
			return err
		}
	}
	if pk != nil {
		if _, err := tx.Exec(ctx, `insert into auth.flow_state (user_id, auth_code, code_challenge, code_challenge_method, authentication_method, token_hash)
			values ($1, $2, $3, $4, $5, $6)`, u.ID, uuid.NewString(), pk.challenge, pk.method, typ, hashToken(linkToken)); err != nil {
			return err
		}
	}
	// GoTrue's allow-list: site_url's host or an additional_redirect_urls glob, else site_url.
	redirect = s.cfg.Rules.Redirect(redirect)
	link := fmt.Sprintf("%s/verify?token=%s&type=%s&redirect_to=%s", s.cfg.PublicURL, url.QueryEscape(linkToken), typ, url.QueryEscape(redirect))
	s.mail.Add(Mail{To: u.Email, Type: typ, Code: code, Link: link, TokenHash: linkToken, At: s.keys.Now()})
	s.cfg.Log.Info("auth: e-mail sent to the local mailbox", "to", u.Email, "type", typ, "code", code, "link", link)
	return nil
}

type verifyParams struct {
	Type      string `json:"type"`
	Token     string `json:"token"`
	TokenHash string `json:"token_hash"`
	Email     string `json:"email"`
}

// consume redeems a one-time token and returns its user.
func (s *Service) consume(ctx context.Context, tx pgx.Tx, p verifyParams) (*user, error) {
	typ := p.Type
	switch typ {
	case "magiclink", "email", "signup", "invite":
		typ = "magiclink"
	case "recovery":
	default:
		return nil, errf(400, "validation_failed", "Verify requires a verification type")
	}
	var h string
	switch {
	case p.TokenHash != "":
		h = hashToken(p.TokenHash)
	case p.Token != "" && p.Email != "":
		h = hashToken(strings.ToLower(p.Email) + p.Token)
	case p.Token != "":
		h = hashToken(p.Token)
	default:
		return nil, errf(400, "validation_failed", "Verify requires either a token or a token hash")
	}
	var uid uuid.UUID
	err := tx.QueryRow(ctx, `delete from auth.one_time_tokens where token_hash = $1 and token_type = $2
		and created_at > now() - interval '1 hour' returning user_id`, h, typ).Scan(&uid)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errf(403, "otp_expired", "Token has expired or is invalid")
	}
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `delete from auth.one_time_tokens where user_id = $1 and token_type = $2`, uid, typ); err != nil {
		return nil, err
	}
	// Confirming the address also marks it verified in the metadata, as GoTrue does.
	if _, err := tx.Exec(ctx, `update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()),
		raw_user_meta_data = coalesce(raw_user_meta_data, '{}') || '{"email_verified": true}' where id = $1`, uid); err != nil {
		return nil, err
	}
	return userByID(ctx, tx, uid)
}

func (s *Service) verifyPost(w http.ResponseWriter, r *http.Request) error {
	var p verifyParams
	if err := decode(r, &p); err != nil {
		return err
	}
	ctx := r.Context()
	var session map[string]any
	err := s.tx(ctx, func(tx pgx.Tx) error {
		u, err := s.consume(ctx, tx, p)
		if err != nil {
			return err
		}
		method := "otp"
		if p.Type == "recovery" {
			method = "recovery"
		}
		session, err = s.issue(ctx, tx, u, method)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, 200, session)
	return nil
}

// verifyGet is the link in the e-mail: it redirects with the session in the fragment (implicit flow).
func (s *Service) verifyGet(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	redirect := s.cfg.Rules.Redirect(q.Get("redirect_to"))
	ctx := r.Context()
	var session map[string]any
	authCode := ""
	err := s.tx(ctx, func(tx pgx.Tx) error {
		u, err := s.consume(ctx, tx, verifyParams{Type: q.Get("type"), TokenHash: q.Get("token")})
		if err != nil {
			return err
		}
		// A PKCE flow gets ?code= instead of a session in the fragment.
		err = tx.QueryRow(ctx, `update auth.flow_state set verified_at = now() where token_hash = $1 and user_id = $2
			returning auth_code`, hashToken(q.Get("token")), u.ID).Scan(&authCode)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		session, err = s.issue(ctx, tx, u, "otp")
		return err
	})
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			frag := url.Values{"error": {"access_denied"}, "error_code": {ae.code}, "error_description": {ae.message}}
			http.Redirect(w, r, redirect+"#"+frag.Encode(), http.StatusSeeOther)
			return nil
		}
		return err
	}
	if authCode != "" {
		sep := "?"
		if strings.Contains(redirect, "?") {
			sep = "&"
		}
		http.Redirect(w, r, redirect+sep+"code="+url.QueryEscape(authCode), http.StatusSeeOther)
		return nil
	}
	frag := url.Values{
		"access_token": {session["access_token"].(string)}, "token_type": {"bearer"},
		"expires_in": {strconv.Itoa(session["expires_in"].(int))}, "expires_at": {strconv.FormatInt(session["expires_at"].(int64), 10)},
		"refresh_token": {session["refresh_token"].(string)}, "type": {q.Get("type")},
	}
	http.Redirect(w, r, redirect+"#"+frag.Encode(), http.StatusSeeOther)
	return nil
}
