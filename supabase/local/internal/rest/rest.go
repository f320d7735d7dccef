// Package rest is the stand-in's PostgREST subset (/rest/v1): reads with column lists, aliases
// and one level of foreign-key embedding, PostgREST's filter grammar, order/limit/offset, exact
// counts, inserts/upserts/updates/deletes with Prefer, singular responses and RPC. Every request
// runs in one transaction as the JWT's role with request.jwt.claims set (read-only for GET), so
// RLS decides; identifiers are checked against the schema cache and values are always bound.
package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/octanebridge/octane-bridge/supabase/local/internal/claims"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/pg"
)

const schema = "public"

// apiErr is PostgREST's error body.
type apiErr struct {
	status  int
	Code    string
	Details string
	Hint    string
	Message string
}

func (e *apiErr) Error() string { return e.Code + ": " + e.Message }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func writeErr(w http.ResponseWriter, e *apiErr) {
	b, _ := json.Marshal(map[string]any{"code": e.Code, "details": nullable(e.Details), "hint": nullable(e.Hint), "message": e.Message})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	w.Write(b)
}

// Service serves /rest/v1.
type Service struct {
	db    *pg.DB
	keys  *claims.Keys
	log   *slog.Logger
	cache *schemaCache
}

// New loads the schema cache.
func New(ctx context.Context, db *pg.DB, keys *claims.Keys, log *slog.Logger) (*Service, error) {
	s := &Service{db: db, keys: keys, log: log, cache: &schemaCache{pool: db.Pool, schema: schema}}
	if _, err := s.cache.get(ctx); err != nil {
		return nil, fmt.Errorf("schema cache: %w", err)
	}
	return s, nil
}

// request is one parsed call.
type request struct {
	claims   claims.Claims
	role     string
	prefer   map[string]string
	singular bool
}

func (s *Service) identify(r *http.Request) (*request, *apiErr) {
	tok := ""
	if h := r.Header.Get("Authorization"); h != "" {
		var ok bool
		if tok, ok = strings.CutPrefix(h, "Bearer "); !ok {
			tok, _ = strings.CutPrefix(h, "bearer ")
		}
	}
	if tok == "" {
		tok = r.Header.Get("apikey")
	}
	req := &request{role: "anon", claims: claims.Claims{}}
	if tok != "" {
		c, err := s.keys.Verify(tok, false)
		if err != nil {
			ce := claims.AsError(err)
			switch ce.Kind {
			case claims.Expired:
				return nil, &apiErr{status: 401, Code: "PGRST303", Message: "JWT expired"}
			case claims.BadSignature:
				return nil, &apiErr{status: 401, Code: "PGRST301", Message: "JWSError JWSInvalidSignature"}
			default:
				return nil, &apiErr{status: 401, Code: "PGRST301", Message: "JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got " + strconv.Itoa(strings.Count(tok, ".")+1) + ")"}
			}
		}
		req.claims = c
		if c.Role() != "" {
			req.role = c.Role()
		}
	}
	if !pg.IsAPIRole(req.role) {
		return nil, &apiErr{status: 401, Code: "PGRST301", Message: fmt.Sprintf("role %q is not allowed", req.role)}
	}
	req.prefer = map[string]string{}
	for _, h := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(h, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			req.prefer[k] = v
		}
	}
	req.singular = strings.Contains(r.Header.Get("Accept"), "application/vnd.pgrst.object+json")
	return req, nil
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	role := "anon"
	if req, ae := s.identify(r); ae == nil {
		role = req.role
	}
	r = r.WithContext(context.WithValue(r.Context(), roleKey{}, role))
	if err := s.serve(w, r); err != nil {
		var ae *apiErr
		if !errors.As(err, &ae) {
			ae = s.pgErr(err, r)
		}
		writeErr(w, ae)
	}
}

// pgErr maps a database error to PostgREST's status table.
func (s *Service) pgErr(err error, r *http.Request) *apiErr {
	var pe *pgconn.PgError
	var pse *parseError
	switch {
	case errors.As(err, &pse):
		return &apiErr{status: 400, Code: "PGRST100", Details: pse.details, Message: pse.msg}
	case errors.As(err, &pe):
		e := &apiErr{Code: pe.Code, Details: pe.Detail, Hint: pe.Hint, Message: pe.Message}
		c := pe.Code
		switch {
		case c == "23503" || c == "23505" || strings.HasPrefix(c, "23"):
			e.status = 409
		case c == "25006":
			e.status = 405
		case c == "42501":
			e.status = 403
			if role, _ := r.Context().Value(roleKey{}).(string); role == "anon" {
				e.status = 401
			}
		case c == "42883" || c == "42P01":
			e.status = 404
		case c == "P0001":
			e.status = 400
		case strings.HasPrefix(c, "PT"):
			e.status, _ = strconv.Atoi(c[2:])
			if e.status < 100 || e.status > 599 {
				e.status = 500
			}
		case strings.HasPrefix(c, "08") || strings.HasPrefix(c, "53"):
			e.status = 503
		case strings.HasPrefix(c, "54"):
			e.status = 413
		case strings.HasPrefix(c, "22") || strings.HasPrefix(c, "42"):
			e.status = 400
		case strings.HasPrefix(c, "0L") || strings.HasPrefix(c, "0P") || strings.HasPrefix(c, "28"):
			e.status = 403
		default:
			e.status = 500
		}
		return e
	}
	if errors.Is(err, context.Canceled) {
		return &apiErr{status: 499, Code: "PGRST000", Message: "request cancelled"}
	}
	s.log.Error("rest", "path", r.URL.Path, "err", err)
	return &apiErr{status: 503, Code: "PGRST000", Message: "Database client error. Retrying the connection."}
}

type roleKey struct{}

var reserved = map[string]bool{"select": true, "order": true, "limit": true, "offset": true, "on_conflict": true, "columns": true, "apikey": true}

// levels parses filters and modifiers from the query string, grouped by embed path.
func levels(q map[string][]string, skip map[string]bool) (map[string]*level, error) {
	out := map[string]*level{}
	get := func(p string) *level {
		if out[p] == nil {
			out[p] = &level{}
		}
		return out[p]
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "select" || k == "on_conflict" || k == "columns" || k == "apikey" || skip[k] {
			continue
		}
		path, last := "", k
		if i := strings.LastIndexByte(k, '.'); i >= 0 && !strings.Contains(k[:i], "->") {
			path, last = k[:i], k[i+1:]
			if last == "or" || last == "and" {
				if p2, ok := strings.CutSuffix(path, ".not"); ok || path == "not" {
					// "not.or" at the top or "<embed>.not.or"
					if path == "not" {
						path = ""
					} else {
						path = p2
					}
					last = "not." + last
				}
			}
		}
		for _, v := range q[k] {
			lv := get(path)
			switch last {
			case "order":
				o, err := parseOrder(v)
				if err != nil {
					return nil, err
				}
				lv.order = append(lv.order, o...)
			case "limit", "offset":
				n, err := parseNonNeg(last, v)
				if err != nil {
					return nil, err
				}
				if last == "limit" {
					lv.limit = &n
				} else {
					lv.offset = &n
				}
			case "or", "and", "not.or", "not.and":
				c, err := parseLogic(strings.TrimPrefix(last, "not."), strings.HasPrefix(last, "not."), v)
				if err != nil {
					return nil, err
				}
				lv.conds = append(lv.conds, c)
			default:
				c, err := parseFilter(last, v)
				if err != nil {
					return nil, err
				}
				lv.conds = append(lv.conds, c)
			}
		}
	}
	return out, nil
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request) error {
	req, ae := s.identify(r)
	if ae != nil {
		return ae
	}
	profile := r.Header.Get("Accept-Profile")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		profile = r.Header.Get("Content-Profile")
	}
	if profile != "" && profile != schema {
		return &apiErr{status: 406, Code: "PGRST106", Hint: "Only the following schemas are exposed: " + schema, Message: "Invalid schema: " + profile}
	}
	path := strings.Trim(r.URL.Path, "/")
	if path == "" {
		return &apiErr{status: 404, Code: "PGRST125", Message: "Invalid path specified in request URL"}
	}
	cat, err := s.cache.get(r.Context())
	if err != nil {
		return err
	}
	if fn, ok := strings.CutPrefix(path, "rpc/"); ok {
		return s.rpc(w, r, req, cat, fn)
	}
	rel := cat.rels[path]
	if rel == nil {
		if cat, err = s.cache.reload(r.Context()); err != nil {
			return err
		}
		if rel = cat.rels[path]; rel == nil {
			return &apiErr{status: 404, Code: "PGRST205", Message: fmt.Sprintf("Could not find the table '%s.%s' in the schema cache", schema, path)}
		}
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return s.read(w, r, req, cat, rel)
	case http.MethodPost:
		return s.insert(w, r, req, cat, rel)
	case http.MethodPatch:
		return s.update(w, r, req, cat, rel)
	case http.MethodDelete:
		return s.delete(w, r, req, cat, rel)
	}
	return &apiErr{status: 405, Code: "PGRST117", Message: "Unsupported HTTP method: " + r.Method}
}

func (s *Service) as(r *http.Request, req *request, readOnly bool) pg.As {
	cl := ""
	if len(req.claims) > 0 {
		cl = req.claims.JSON()
	} else {
		cl = `{"role":"anon"}`
	}
	return pg.As{Role: req.role, Claims: cl, ReadOnly: readOnly,
		Settings: map[string]string{"request.method": r.Method, "request.path": r.URL.Path}}
}

// rangeOf applies the Range header (items) to the top level.
func rangeOf(r *http.Request, lv *level) {
	h := r.Header.Get("Range")
	if h == "" {
		return
	}
	h = strings.TrimPrefix(h, "items=")
	a, b, ok := strings.Cut(h, "-")
	from, err1 := strconv.ParseInt(a, 10, 64)
	if !ok || err1 != nil || from < 0 {
		return
	}
	lv.offset = &from
	if to, err := strconv.ParseInt(b, 10, 64); err == nil && to >= from {
		n := to - from + 1
		lv.limit = &n
	}
}

// selection parses what a read asks for: the select list and the filter levels by embed path,
// with the top level ("") always present.
func selection(q url.Values, skip map[string]bool) ([]selectItem, map[string]*level, *level, error) {
	items, err := parseSelect(q.Get("select"))
	if err != nil {
		return nil, nil, nil, err
	}
	lvs, err := levels(q, skip)
	if err != nil {
		return nil, nil, nil, err
	}
	if lvs[""] == nil {
		lvs[""] = &level{}
	}
	return items, lvs, lvs[""], nil
}

func (s *Service) read(w http.ResponseWriter, r *http.Request, req *request, cat *catalog, rel *relation) error {
	items, lvs, top, err := selection(r.URL.Query(), nil)
	if err != nil {
		return err
	}
	rangeOf(r, top)
	b := &builder{cat: cat, schema: schema}
	a := b.newAlias()
	cs := relCols(rel)
	list, inner, err := b.selectList(cs, a, items, "", lvs)
	if err != nil {
		return err
	}
	where, err := b.where(cs, a, top, inner...)
	if err != nil {
		return err
	}
	ol, err := b.orderLimit(cs, a, top)
	if err != nil {
		return err
	}
	from := " from " + b.qrel(rel.Name) + " " + a
	sql := "select coalesce(json_agg(_e), '[]')::text, count(*) from (select " + strings.Join(list, ", ") + from + where + ol + ") _e"
	countSQL := ""
	if req.prefer["count"] != "" {
		countSQL = "select count(*)" + from + where
	}
	var body string
	var n, total int64 = 0, -1
	err = s.db.InTx(r.Context(), s.as(r, req, true), func(tx pgx.Tx) (bool, error) {
		if err := tx.QueryRow(r.Context(), sql, b.args...).Scan(&body, &n); err != nil {
			return false, err
		}
		if countSQL != "" {
			if err := tx.QueryRow(r.Context(), countSQL, b.args...).Scan(&total); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	var off int64
	if top.offset != nil {
		off = *top.offset
	}
	return s.respond(w, r, req, 200, []byte(body), n, off, total)
}

// respond writes a JSON array (or one object for the singular Accept) with Content-Range.
func (s *Service) respond(w http.ResponseWriter, r *http.Request, req *request, status int, body []byte, n, off, total int64) error {
	if req.singular {
		if n != 1 {
			return &apiErr{status: 406, Code: "PGRST116", Details: fmt.Sprintf("The result contains %d rows", n),
				Message: "Cannot coerce the result to a single JSON object"}
		}
		var arr []json.RawMessage
		if err := json.Unmarshal(body, &arr); err != nil || len(arr) != 1 {
			return fmt.Errorf("rest: singular body: %v", err)
		}
		body = arr[0]
		w.Header().Set("Content-Type", "application/vnd.pgrst.object+json; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	tot := "*"
	if total >= 0 {
		tot = strconv.FormatInt(total, 10)
	}
	if n > 0 {
		w.Header().Set("Content-Range", fmt.Sprintf("%d-%d/%s", off, off+n-1, tot))
	} else {
		w.Header().Set("Content-Range", "*/"+tot)
	}
	if total >= 0 && status == 200 && n > 0 && off+n < total {
		status = 206
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return nil
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return nil, &apiErr{status: 400, Code: "PGRST102", Message: "Could not read the request body"}
	}
	return b, nil
}

// rowsOf decodes a JSON object or array of objects.
func rowsOf(body []byte) ([]map[string]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	bad := &apiErr{status: 400, Code: "PGRST102", Message: "Empty or invalid json"}
	if len(body) == 0 {
		return nil, bad
	}
	if body[0] == '[' {
		var rows []map[string]json.RawMessage
		if err := json.Unmarshal(body, &rows); err != nil {
			return nil, bad
		}
		return rows, nil
	}
	var row map[string]json.RawMessage
	if err := json.Unmarshal(body, &row); err != nil || row == nil {
		return nil, bad
	}
	return []map[string]json.RawMessage{row}, nil
}

func colError(rel *relation, name string) *apiErr {
	return &apiErr{status: 400, Code: "PGRST204", Message: fmt.Sprintf("Could not find the '%s' column of '%s' in the schema cache", name, rel.Name)}
}

// returning renders the representation of mutated rows (CTE _m) with the select param.
func (s *Service) returning(b *builder, r *http.Request, rel *relation) (string, error) {
	items, err := parseSelect(r.URL.Query().Get("select"))
	if err != nil {
		return "", err
	}
	lvs, err := levels(r.URL.Query(), map[string]bool{})
	if err != nil {
		return "", err
	}
	a := b.newAlias()
	list, _, err := b.selectList(relCols(rel), a, items, "", lvs)
	if err != nil {
		return "", err
	}
	return "select coalesce(json_agg(_e), '[]')::text, count(*) from (select " + strings.Join(list, ", ") + " from _m " + a + ") _e", nil
}

func (s *Service) insert(w http.ResponseWriter, r *http.Request, req *request, cat *catalog, rel *relation) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	rows, err := rowsOf(body)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var only map[string]bool
	if c := q.Get("columns"); c != "" {
		only = map[string]bool{}
		for _, n := range strings.Split(c, ",") {
			n = unquote(strings.TrimSpace(n))
			if rel.col(n) == nil {
				return colError(rel, n)
			}
			only[n] = true
		}
	}
	missingDefault := req.prefer["missing"] == "default"
	// Group rows by the columns they set: with missing=default each group leaves its absent
	// columns to their defaults; otherwise every row sets the union (absent = null).
	union := map[string]bool{}
	for _, row := range rows {
		for k := range row {
			if only != nil && !only[k] {
				continue
			}
			if rel.col(k) == nil {
				return colError(rel, k)
			}
			union[k] = true
		}
	}
	type group struct {
		cols []string
		rows []map[string]json.RawMessage
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, row := range rows {
		var cols []string
		if missingDefault {
			for k := range row {
				if only == nil || only[k] {
					cols = append(cols, k)
				}
			}
		} else {
			for k := range union {
				cols = append(cols, k)
			}
		}
		sort.Strings(cols)
		key := strings.Join(cols, "\x00")
		g := byKey[key]
		if g == nil {
			g = &group{cols: cols}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, row)
	}
	conflict := ""
	if res := req.prefer["resolution"]; res == "merge-duplicates" || res == "ignore-duplicates" {
		target := rel.PK
		if oc := q.Get("on_conflict"); oc != "" {
			target = nil
			for _, n := range strings.Split(oc, ",") {
				n = strings.TrimSpace(n)
				if rel.col(n) == nil {
					return colError(rel, n)
				}
				target = append(target, n)
			}
		}
		if len(target) == 0 {
			return &apiErr{status: 400, Code: "PGRST103", Message: "Upsert needs a primary key or on_conflict"}
		}
		qt := make([]string, len(target))
		for i, t := range target {
			qt[i] = qi(t)
		}
		conflict = " on conflict (" + strings.Join(qt, ", ") + ")"
		if res == "ignore-duplicates" {
			conflict += " do nothing"
		}
	}
	ret := req.prefer["return"]
	var out []json.RawMessage
	var n int64
	err = s.db.InTx(r.Context(), s.as(r, req, false), func(tx pgx.Tx) (bool, error) {
		for _, g := range groups {
			b := &builder{cat: cat, schema: schema}
			recs, _ := json.Marshal(g.rows)
			qc := make([]string, len(g.cols))
			for i, c := range g.cols {
				qc[i] = qi(c)
			}
			var ins string
			if len(g.cols) == 0 {
				ins = "insert into " + b.qrel(rel.Name) + " default values"
				if len(g.rows) > 1 {
					return false, &apiErr{status: 400, Code: "PGRST102", Message: "All object keys must match"}
				}
			} else {
				ins = "insert into " + b.qrel(rel.Name) + " (" + strings.Join(qc, ", ") + ") select " + strings.Join(qc, ", ") +
					" from json_populate_recordset(null::" + b.qrel(rel.Name) + ", " + b.arg(string(recs)) + "::json)"
			}
			ins += conflict
			if strings.HasSuffix(conflict, ")") {
				var set []string
				for _, c := range qc {
					set = append(set, c+" = excluded."+c)
				}
				if len(set) == 0 {
					ins += " do nothing"
				} else {
					ins += " do update set " + strings.Join(set, ", ")
				}
			}
			if ret != "representation" && !req.singular {
				if _, err := tx.Exec(r.Context(), ins, b.args...); err != nil {
					return false, err
				}
				continue
			}
			sel, err := s.returning(b, r, rel)
			if err != nil {
				return false, err
			}
			var part string
			var k int64
			if err := tx.QueryRow(r.Context(), "with _m as ("+ins+" returning *) "+sel, b.args...).Scan(&part, &k); err != nil {
				return false, err
			}
			var arr []json.RawMessage
			json.Unmarshal([]byte(part), &arr)
			out, n = append(out, arr...), n+k
		}
		if req.singular && ret == "representation" && n != 1 {
			return false, &apiErr{status: 406, Code: "PGRST116", Details: fmt.Sprintf("The result contains %d rows", n), Message: "Cannot coerce the result to a single JSON object"}
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	return s.mutated(w, r, req, 201, out, n)
}

func (s *Service) mutated(w http.ResponseWriter, r *http.Request, req *request, status int, out []json.RawMessage, n int64) error {
	if req.prefer["return"] != "representation" {
		if status == 201 {
			w.WriteHeader(201)
		} else {
			w.WriteHeader(204)
		}
		return nil
	}
	if out == nil {
		out = []json.RawMessage{}
	}
	b, _ := json.Marshal(out)
	var total int64 = -1
	if req.prefer["count"] != "" {
		total = n
	}
	return s.respond(w, r, req, status, b, n, 0, total)
}

func (s *Service) update(w http.ResponseWriter, r *http.Request, req *request, cat *catalog, rel *relation) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	rows, err := rowsOf(body)
	if err != nil || len(rows) != 1 {
		return &apiErr{status: 400, Code: "PGRST102", Message: "Empty or invalid json"}
	}
	var cols []string
	for k := range rows[0] {
		if rel.col(k) == nil {
			return colError(rel, k)
		}
		cols = append(cols, qi(k))
	}
	sort.Strings(cols)
	b, a, where, err := filtered(r, cat, rel)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return s.mutated(w, r, req, 200, nil, 0)
	}
	rec, _ := json.Marshal(rows[0])
	upd := "update " + b.qrel(rel.Name) + " " + a + " set (" + strings.Join(cols, ", ") + ") = (select " + strings.Join(cols, ", ") +
		" from json_populate_record(null::" + b.qrel(rel.Name) + ", " + b.arg(string(rec)) + "::json))" + where
	return s.mutate(w, r, req, rel, b, upd, a)
}

func (s *Service) delete(w http.ResponseWriter, r *http.Request, req *request, cat *catalog, rel *relation) error {
	b, a, where, err := filtered(r, cat, rel)
	if err != nil {
		return err
	}
	return s.mutate(w, r, req, rel, b, "delete from "+b.qrel(rel.Name)+" "+a+where, a)
}

// filtered starts an update or delete of rel: the statement's builder, the table's alias and the
// WHERE clause of the request's filters.
func filtered(r *http.Request, cat *catalog, rel *relation) (b *builder, alias, where string, err error) {
	lvs, err := levels(r.URL.Query(), nil)
	if err != nil {
		return nil, "", "", err
	}
	b = &builder{cat: cat, schema: schema}
	alias = b.newAlias()
	where, err = b.where(relCols(rel), alias, lvs[""])
	return b, alias, where, err
}

func (s *Service) mutate(w http.ResponseWriter, r *http.Request, req *request, rel *relation, b *builder, stmt, alias string) error {
	var out []json.RawMessage
	var n int64
	err := s.db.InTx(r.Context(), s.as(r, req, false), func(tx pgx.Tx) (bool, error) {
		if req.prefer["return"] != "representation" {
			tag, err := tx.Exec(r.Context(), stmt, b.args...)
			n = tag.RowsAffected()
			return err == nil, err
		}
		sel, err := s.returning(b, r, rel)
		if err != nil {
			return false, err
		}
		var body string
		if err := tx.QueryRow(r.Context(), "with _m as ("+stmt+" returning "+alias+".*) "+sel, b.args...).Scan(&body, &n); err != nil {
			return false, err
		}
		json.Unmarshal([]byte(body), &out)
		if req.singular && n != 1 {
			return false, &apiErr{status: 406, Code: "PGRST116", Details: fmt.Sprintf("The result contains %d rows", n), Message: "Cannot coerce the result to a single JSON object"}
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if req.prefer["count"] != "" {
		w.Header().Set("Content-Range", fmt.Sprintf("*/%d", n))
	}
	return s.mutated(w, r, req, 200, out, n)
}

// rpc calls a function with named arguments (JSON body for POST, query params for GET).
func (s *Service) rpc(w http.ResponseWriter, r *http.Request, req *request, cat *catalog, name string) error {
	args := map[string]json.RawMessage{}
	readOnly := false
	q := r.URL.Query()
	switch r.Method {
	case http.MethodPost:
		body, err := readBody(r)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &args); err != nil {
				return &apiErr{status: 400, Code: "PGRST102", Message: "Empty or invalid json"}
			}
		}
	case http.MethodGet, http.MethodHead:
		readOnly = true
	default:
		return &apiErr{status: 405, Code: "PGRST101", Message: "Cannot use the " + r.Method + " method on RPC"}
	}
	fn := pickFunction(cat.funcs[name], args, q, r.Method != http.MethodPost)
	if fn == nil {
		if c2, err := s.cache.reload(r.Context()); err == nil {
			cat = c2
			fn = pickFunction(cat.funcs[name], args, q, r.Method != http.MethodPost)
		}
	}
	if fn == nil {
		keys := make([]string, 0, len(args))
		for k := range args {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		msg := fmt.Sprintf("Could not find the function %s.%s without parameters in the schema cache", schema, name)
		if len(keys) > 0 {
			msg = fmt.Sprintf("Could not find the function %s.%s(%s) in the schema cache", schema, name, strings.Join(keys, ", "))
		}
		return &apiErr{status: 404, Code: "PGRST202",
			Details: fmt.Sprintf("Searched for the function %s.%s with parameters %s or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.", schema, name, strings.Join(keys, ", ")),
			Message: msg}
	}
	if r.Method != http.MethodPost {
		for i, n := range fn.ArgNames {
			if v, ok := q[n]; ok && i < len(fn.ArgTypes) {
				raw, _ := json.Marshal(v[0])
				if strings.HasSuffix(fn.ArgTypes[i], "[]") {
					raw, _ = json.Marshal(strings.Split(strings.Trim(v[0], "{}"), ","))
				}
				args[n] = raw
			}
		}
	}
	b := &builder{cat: cat, schema: schema}
	var call []string
	for i, n := range fn.ArgNames {
		v, ok := args[n]
		if !ok {
			continue
		}
		typ := fn.ArgTypes[i]
		var val string
		trimmed := bytes.TrimSpace(v)
		switch {
		case string(trimmed) == "null":
			val = "null"
		case len(trimmed) > 0 && trimmed[0] == '"':
			var str string
			json.Unmarshal(trimmed, &str)
			val = b.arg(str) + "::text"
		case len(trimmed) > 0 && trimmed[0] == '[' && strings.HasSuffix(typ, "[]"):
			val = "array(select json_array_elements_text(" + b.arg(string(trimmed)) + "::json))"
		default:
			val = b.arg(string(trimmed)) + "::text"
		}
		call = append(call, qi(n)+" => ("+val+")::"+typ)
	}
	callSQL := b.qrel(fn.Name) + "(" + strings.Join(call, ", ") + ")"
	skip := map[string]bool{}
	for _, n := range fn.ArgNames {
		skip[n] = true
	}
	var sql string
	tabular := fn.RetSet || len(fn.Columns) > 0
	var top *level
	if tabular {
		items, lvs, t, err := selection(q, skip)
		if err != nil {
			return err
		}
		top = t
		a := b.newAlias()
		var list []string
		var cs *columns
		if len(fn.Columns) > 0 {
			cs = fnCols(fn)
			if list, _, err = b.selectList(cs, a, items, "", lvs); err != nil {
				return err
			}
		} else {
			// setof a scalar: the value itself
			cs = &columns{name: fn.Name, cols: map[string]*column{fn.Name: {Name: fn.Name, Type: fn.RetType}}}
			list = []string{a + "." + qi(fn.Name)}
		}
		where, err := b.where(cs, a, top)
		if err != nil {
			return err
		}
		ol, err := b.orderLimit(cs, a, top)
		if err != nil {
			return err
		}
		alias := a
		if len(fn.Columns) == 0 {
			alias = a + "(" + qi(fn.Name) + ")"
		}
		if len(fn.Columns) == 0 {
			sql = "select coalesce(json_agg(_e." + qi(fn.Name) + "), '[]')::text, count(*) from (select " + strings.Join(list, ", ") + " from " + callSQL + " " + alias + where + ol + ") _e"
		} else {
			sql = "select coalesce(json_agg(_e), '[]')::text, count(*) from (select " + strings.Join(list, ", ") + " from " + callSQL + " " + alias + where + ol + ") _e"
		}
	} else {
		sql = "select to_json(" + callSQL + ")::text, 1"
	}
	var body *string
	var n int64
	err := s.db.InTx(r.Context(), s.as(r, req, readOnly), func(tx pgx.Tx) (bool, error) {
		if err := tx.QueryRow(r.Context(), sql, b.args...).Scan(&body, &n); err != nil {
			return false, err
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if fn.RetType == "void" {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	out := "null"
	if body != nil {
		out = *body
	}
	if tabular && !fn.RetSet {
		// A function returning one composite row answers with the object.
		var arr []json.RawMessage
		json.Unmarshal([]byte(out), &arr)
		if len(arr) == 1 {
			out = string(arr[0])
		} else {
			out = "null"
		}
		req.singular = false
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(200)
		w.Write([]byte(out))
		return nil
	}
	if !tabular {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(200)
		if r.Method != http.MethodHead {
			w.Write([]byte(out))
		}
		return nil
	}
	var off int64
	if top != nil && top.offset != nil {
		off = *top.offset
	}
	return s.respond(w, r, req, 200, []byte(out), n, off, -1)
}

// pickFunction chooses the overload whose named parameters match the call.
func pickFunction(cands []*function, args map[string]json.RawMessage, q map[string][]string, fromQuery bool) *function {
	for _, f := range cands {
		names := map[string]bool{}
		for _, n := range f.ArgNames {
			names[n] = true
		}
		ok := true
		if !fromQuery {
			for k := range args {
				if !names[k] {
					ok = false
				}
			}
		}
		required := len(f.ArgNames) - f.NDefaults
		for i := 0; i < required && ok; i++ {
			n := f.ArgNames[i]
			_, inArgs := args[n]
			_, inQuery := q[n]
			if n == "" || (!inArgs && !(fromQuery && inQuery)) {
				ok = false
			}
		}
		if ok {
			return f
		}
	}
	return nil
}
