package rest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// builder renders SQL with every value as a bound parameter; identifiers are checked against the
// schema cache first and then quoted.
type builder struct {
	cat    *catalog
	schema string
	args   []any
	nalias int
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

func (b *builder) newAlias() string {
	a := "_p" + strconv.Itoa(b.nalias)
	b.nalias++
	return a
}

func qi(s string) string { return pgx.Identifier{s}.Sanitize() }

func (b *builder) qrel(name string) string { return qi(b.schema) + "." + qi(name) }

// columns is what a level selects from: a relation or a function's result.
type columns struct {
	name string
	cols map[string]*column
	list []column
}

func relCols(r *relation) *columns { return &columns{name: r.Name, cols: r.colIdx, list: r.Columns} }

func fnCols(f *function) *columns {
	c := &columns{name: f.Name, cols: map[string]*column{}, list: f.Columns}
	for i := range c.list {
		c.cols[c.list[i].Name] = &c.list[i]
	}
	return c
}

// expr renders a field and returns its SQL type.
func (b *builder) expr(cs *columns, alias string, f field) (string, string, error) {
	col := cs.cols[f.Col]
	if col == nil {
		return "", "", &apiErr{status: 400, Code: "42703", Message: fmt.Sprintf("column %s.%s does not exist", cs.name, f.Col)}
	}
	sql, typ := alias+"."+qi(f.Col), col.Type
	for i, st := range f.Path {
		if i == 0 && typ != "jsonb" && typ != "json" {
			sql = "to_jsonb(" + sql + ")"
		}
		key := b.arg(st.Key) + "::text"
		if _, err := strconv.Atoi(st.Key); err == nil {
			key = st.Key
		}
		sql = "(" + sql + st.Arrow + key + ")"
		typ = "jsonb"
		if st.Arrow == "->>" {
			typ = "text"
		}
	}
	return sql, typ, nil
}

func pgArray(list []string) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i, v := range list {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('"')
		sb.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v))
		sb.WriteByte('"')
	}
	sb.WriteByte('}')
	return sb.String()
}

var cmpOps = map[string]string{"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
	"cs": "@>", "cd": "<@", "ov": "&&", "sl": "<<", "sr": ">>", "nxl": "&<", "nxr": "&>", "adj": "-|-"}

var ftsFns = map[string]string{"fts": "to_tsquery", "plfts": "plainto_tsquery", "phfts": "phraseto_tsquery", "wfts": "websearch_to_tsquery"}

func (b *builder) filterSQL(cs *columns, alias string, f *filter) (string, error) {
	e, typ, err := b.expr(cs, alias, f.Field)
	if err != nil {
		return "", err
	}
	val := func() string { return "(" + b.arg(f.Value) + "::text)::" + typ }
	var sql string
	switch f.Op {
	case "like", "ilike":
		op := "like"
		if f.Op == "ilike" {
			op = "ilike"
		}
		sql = e + "::text " + op + " " + b.arg(strings.ReplaceAll(f.Value, "*", "%")) + "::text"
	case "match":
		sql = e + "::text ~ " + b.arg(f.Value) + "::text"
	case "imatch":
		sql = e + "::text ~* " + b.arg(f.Value) + "::text"
	case "in":
		if len(f.List) == 0 {
			sql = "false"
		} else {
			sql = e + " = any((" + b.arg(pgArray(f.List)) + "::text)::" + typ + "[])"
		}
	case "is":
		switch strings.ToLower(f.Value) {
		case "null":
			sql = e + " is null"
		case "not_null":
			sql = e + " is not null"
		default:
			sql = e + " is " + strings.ToLower(f.Value)
		}
	case "isdistinct":
		sql = e + " is distinct from " + val()
	case "fts", "plfts", "phfts", "wfts":
		var q string
		vec := e
		if f.Config != "" {
			cfg := b.arg(f.Config) + "::text::regconfig"
			q = ftsFns[f.Op] + "(" + cfg + ", " + b.arg(f.Value) + "::text)"
			if typ != "tsvector" {
				vec = "to_tsvector(" + cfg + ", " + e + "::text)"
			}
		} else {
			q = ftsFns[f.Op] + "(" + b.arg(f.Value) + "::text)"
			if typ != "tsvector" {
				vec = "to_tsvector(" + e + "::text)"
			}
		}
		sql = vec + " @@ " + q
	default:
		op, ok := cmpOps[f.Op]
		if !ok {
			return "", &apiErr{status: 400, Code: "PGRST100", Message: "unknown operator " + f.Op}
		}
		v := val()
		if (f.Op == "cs" || f.Op == "cd" || f.Op == "ov") && strings.HasSuffix(typ, "[]") && strings.HasPrefix(f.Value, "(") {
			v = "(" + b.arg("{"+strings.TrimSuffix(strings.TrimPrefix(f.Value, "("), ")")+"}") + "::text)::" + typ
		}
		sql = e + " " + op + " " + v
	}
	if f.Not {
		sql = "not (" + sql + ")"
	}
	return sql, nil
}

func (b *builder) condSQL(cs *columns, alias string, c cond) (string, error) {
	if c.F != nil {
		return b.filterSQL(cs, alias, c.F)
	}
	parts, err := b.condParts(cs, alias, c.Children)
	if err != nil {
		return "", err
	}
	if len(parts) == 0 {
		parts = []string{"true"}
	}
	s := strings.Join(parts, " "+c.Logic+" ")
	if c.Not {
		s = "not (" + s + ")"
	}
	return s, nil
}

// condParts renders each condition, parenthesised, for the caller to join.
func (b *builder) condParts(cs *columns, alias string, conds []cond) ([]string, error) {
	parts := make([]string, 0, len(conds))
	for _, c := range conds {
		s, err := b.condSQL(cs, alias, c)
		if err != nil {
			return nil, err
		}
		parts = append(parts, "("+s+")")
	}
	return parts, nil
}

// level is what the query string says about one resource: the top (path "") or an embed.
type level struct {
	conds  []cond
	order  []orderTerm
	limit  *int64
	offset *int64
}

func (b *builder) where(cs *columns, alias string, lv *level, extra ...string) (string, error) {
	parts := append([]string{}, extra...)
	if lv != nil {
		conds, err := b.condParts(cs, alias, lv.conds)
		if err != nil {
			return "", err
		}
		parts = append(parts, conds...)
	}
	if len(parts) == 0 {
		return "", nil
	}
	return " where " + strings.Join(parts, " and "), nil
}

func (b *builder) orderLimit(cs *columns, alias string, lv *level) (string, error) {
	if lv == nil {
		return "", nil
	}
	var sb strings.Builder
	for i, o := range lv.order {
		e, _, err := b.expr(cs, alias, o.Field)
		if err != nil {
			return "", err
		}
		if i == 0 {
			sb.WriteString(" order by ")
		} else {
			sb.WriteString(", ")
		}
		sb.WriteString(e)
		if o.Desc {
			sb.WriteString(" desc")
		}
		if o.Nulls != "" {
			sb.WriteString(" nulls " + o.Nulls)
		}
	}
	if lv.limit != nil {
		sb.WriteString(" limit " + strconv.FormatInt(*lv.limit, 10))
	}
	if lv.offset != nil {
		sb.WriteString(" offset " + strconv.FormatInt(*lv.offset, 10))
	}
	return sb.String(), nil
}

// relationship finds the foreign key joining parent and child, as PostgREST's embedding does.
func (b *builder) relationship(parent, child, hint string) (fkey, bool, error) {
	var found []fkey
	var toOne []bool
	for _, fk := range b.cat.fks {
		if hint != "" && fk.Name != hint && (len(fk.FromCols) != 1 || fk.FromCols[0] != hint) {
			continue
		}
		if fk.From == parent && fk.To == child {
			found, toOne = append(found, fk), append(toOne, true)
		} else if fk.From == child && fk.To == parent {
			found, toOne = append(found, fk), append(toOne, false)
		}
	}
	switch len(found) {
	case 0:
		return fkey{}, false, &apiErr{status: 400, Code: "PGRST200",
			Details: fmt.Sprintf("Searched for a foreign key relationship between '%s' and '%s' in the schema '%s', but no matches were found.", parent, child, b.schema),
			Message: fmt.Sprintf("Could not find a relationship between '%s' and '%s' in the schema cache", parent, child)}
	case 1:
		return found[0], toOne[0], nil
	}
	return fkey{}, false, &apiErr{status: 300, Code: "PGRST201",
		Hint:    fmt.Sprintf("Try changing '%s' to one of the following: '%s!%s'. Find the desired relationship in the 'details' key.", child, child, found[0].Name),
		Message: fmt.Sprintf("Could not embed because more than one relationship was found for '%s' and '%s'", parent, child)}
}

// selectList renders the select items of one level; levels maps embed paths to their params.
func (b *builder) selectList(cs *columns, alias string, items []selectItem, path string, levels map[string]*level) ([]string, []string, error) {
	var out, innerConds []string
	for _, it := range items {
		switch {
		case it.Star:
			for _, c := range cs.list {
				out = append(out, alias+"."+qi(c.Name))
			}
		case it.Embed != nil:
			sql, cond, err := b.embedSQL(cs, alias, it, path, levels)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, sql)
			if cond != "" {
				innerConds = append(innerConds, cond)
			}
		default:
			e, _, err := b.expr(cs, alias, it.Field)
			if err != nil {
				return nil, nil, err
			}
			name := it.Alias
			if name == "" {
				name = it.Field.Col
				if n := len(it.Field.Path); n > 0 {
					name = it.Field.Path[n-1].Key
				}
			}
			if it.Cast != "" {
				e = "(" + e + ")::" + it.Cast
			}
			out = append(out, e+" as "+qi(name))
		}
	}
	if len(out) == 0 {
		out = []string{"null as " + qi("")}
	}
	return out, innerConds, nil
}

func (b *builder) embedSQL(parent *columns, palias string, it selectItem, path string, levels map[string]*level) (string, string, error) {
	e := it.Embed
	child := b.cat.rels[e.Rel]
	if child == nil {
		return "", "", &apiErr{status: 400, Code: "PGRST200",
			Details: fmt.Sprintf("Searched for a foreign key relationship between '%s' and '%s' in the schema '%s', but no matches were found.", parent.name, e.Rel, b.schema),
			Message: fmt.Sprintf("Could not find a relationship between '%s' and '%s' in the schema cache", parent.name, e.Rel)}
	}
	fk, toOne, err := b.relationship(parent.name, e.Rel, e.Hint)
	if err != nil {
		return "", "", err
	}
	name := it.Alias
	if name == "" {
		name = e.Rel
	}
	sub := name
	if path != "" {
		sub = path + "." + name
	}
	a := b.newAlias()
	var join []string
	for i := range fk.FromCols {
		if toOne {
			join = append(join, a+"."+qi(fk.ToCols[i])+" = "+palias+"."+qi(fk.FromCols[i]))
		} else {
			join = append(join, a+"."+qi(fk.FromCols[i])+" = "+palias+"."+qi(fk.ToCols[i]))
		}
	}
	cs := relCols(child)
	lv := levels[sub]
	list, inner, err := b.selectList(cs, a, e.Items, sub, levels)
	if err != nil {
		return "", "", err
	}
	where, err := b.where(cs, a, lv, append(join, inner...)...)
	if err != nil {
		return "", "", err
	}
	ol, err := b.orderLimit(cs, a, lv)
	if err != nil {
		return "", "", err
	}
	from := " from " + b.qrel(child.Name) + " " + a
	var sql string
	if toOne {
		sql = "(select row_to_json(_e) from (select " + strings.Join(list, ", ") + from + where + " limit 1) _e) as " + qi(name)
	} else {
		sql = "(select coalesce(json_agg(_e), '[]') from (select " + strings.Join(list, ", ") + from + where + ol + ") _e) as " + qi(name)
	}
	cond := ""
	if e.Inner || (lv != nil && len(lv.conds) > 0 && toOne && e.Inner) {
		cond = "exists (select 1" + from + where + ")"
	}
	return sql, cond, nil
}
