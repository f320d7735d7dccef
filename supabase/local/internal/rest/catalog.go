package rest

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// column of an exposed relation.
type column struct {
	Name    string
	Type    string // format_type, e.g. "text[]", "timestamp with time zone"
	TypType string // pg_type.typtype: b base, c composite, e enum, d domain, r range
}

// fkey is a foreign key between two exposed relations.
type fkey struct {
	Name     string
	From, To string // relation names
	FromCols []string
	ToCols   []string
}

// relation is a table or view of the exposed schema.
type relation struct {
	Name    string
	Kind    string // r, v, m, p, f
	Columns []column
	colIdx  map[string]*column
	PK      []string
}

func (r *relation) col(name string) *column { return r.colIdx[name] }

// function is an exposed function.
type function struct {
	Name      string
	ArgNames  []string
	ArgTypes  []string
	NDefaults int
	RetSet    bool
	RetType   string
	RetKind   string // typtype of the return type; "p" for void/record pseudo types
	Volatile  string
	Columns   []column // result columns of set/composite/TABLE functions
}

// catalog is a snapshot of the exposed schema, like PostgREST's schema cache.
type catalog struct {
	rels  map[string]*relation
	fks   []fkey
	funcs map[string][]*function
}

type schemaCache struct {
	pool   *pgxpool.Pool
	schema string
	mu     sync.Mutex
	cur    *catalog
	loaded time.Time
}

func (s *schemaCache) get(ctx context.Context) (*catalog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil {
		return s.cur, nil
	}
	return s.loadLocked(ctx)
}

// reload refreshes the cache after a miss, at most once a second (like NOTIFY pgrst reloads).
func (s *schemaCache) reload(ctx context.Context) (*catalog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && time.Since(s.loaded) < time.Second {
		return s.cur, nil
	}
	return s.loadLocked(ctx)
}

func (s *schemaCache) loadLocked(ctx context.Context) (*catalog, error) {
	c := &catalog{rels: map[string]*relation{}, funcs: map[string][]*function{}}
	rows, err := s.pool.Query(ctx, `
		select c.relname::text, c.relkind::text, a.attname::text, format_type(a.atttypid, a.atttypmod), t.typtype::text
		from pg_class c join pg_namespace n on n.oid = c.relnamespace
		join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
		join pg_type t on t.oid = a.atttypid
		where n.nspname = $1 and c.relkind in ('r','v','m','p','f')
		order by c.relname, a.attnum`, s.schema)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var rel, kind string
		var col column
		if err := rows.Scan(&rel, &kind, &col.Name, &col.Type, &col.TypType); err != nil {
			return nil, err
		}
		r := c.rels[rel]
		if r == nil {
			r = &relation{Name: rel, Kind: kind, colIdx: map[string]*column{}}
			c.rels[rel] = r
		}
		r.Columns = append(r.Columns, col)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, r := range c.rels {
		for i := range r.Columns {
			r.colIdx[r.Columns[i].Name] = &r.Columns[i]
		}
	}
	rows, err = s.pool.Query(ctx, `
		select con.conname::text, con.contype::text, c.relname::text, coalesce(fc.relname::text, ''),
		  array(select a.attname::text from unnest(con.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n order by k.i),
		  array(select a.attname::text from unnest(coalesce(con.confkey, '{}')) with ordinality k(n, i) join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n order by k.i)
		from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
		left join pg_class fc on fc.oid = con.confrelid left join pg_namespace fn on fn.oid = fc.relnamespace
		where n.nspname = $1 and (con.contype = 'p' or (con.contype = 'f' and fn.nspname = $1))`, s.schema)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, typ, rel, frel string
		var cols, fcols []string
		if err := rows.Scan(&name, &typ, &rel, &frel, &cols, &fcols); err != nil {
			return nil, err
		}
		if typ == "p" {
			if r := c.rels[rel]; r != nil {
				r.PK = cols
			}
			continue
		}
		c.fks = append(c.fks, fkey{Name: name, From: rel, To: frel, FromCols: cols, ToCols: fcols})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.pool.Query(ctx, `
		select p.proname::text, coalesce(p.proargnames[1:p.pronargs]::text[], '{}'),
		  array(select format_type(t, null) from unnest(p.proargtypes::oid[]) t),
		  p.pronargdefaults::int, p.proretset, format_type(p.prorettype, null), rt.typtype::text, p.provolatile::text,
		  case when rt.typrelid <> 0 then
		    array(select a.attname::text || '|' || format_type(a.atttypid, a.atttypmod) from pg_attribute a where a.attrelid = rt.typrelid and a.attnum > 0 and not a.attisdropped order by a.attnum)
		  else
		    array(select m.name || '|' || format_type(m.typ, null) from unnest(p.proargnames, p.proallargtypes::oid[], p.proargmodes::text[]) m(name, typ, mode) where m.mode in ('t', 'o'))
		  end
		from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_type rt on rt.oid = p.prorettype
		where n.nspname = $1 and p.prokind = 'f' and rt.typname <> 'trigger'`, s.schema)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		f := &function{}
		var cols []string
		if err := rows.Scan(&f.Name, &f.ArgNames, &f.ArgTypes, &f.NDefaults, &f.RetSet, &f.RetType, &f.RetKind, &f.Volatile, &cols); err != nil {
			return nil, err
		}
		for _, c := range cols {
			n, t, _ := strings.Cut(c, "|")
			f.Columns = append(f.Columns, column{Name: n, Type: t})
		}
		c.funcs[f.Name] = append(c.funcs[f.Name], f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.cur, s.loaded = c, time.Now()
	return c, nil
}
