package rest

import (
	"fmt"
	"strconv"
	"strings"
)

// Parse errors are PostgREST's PGRST100 ("failed to parse ...").
type parseError struct{ msg, details string }

func (e *parseError) Error() string { return e.msg }

func perr(msg, details string, a ...any) *parseError {
	return &parseError{msg: msg, details: fmt.Sprintf(details, a...)}
}

type pathStep struct {
	Arrow string // "->" or "->>"
	Key   string
}

// field is a column reference with an optional JSON path.
type field struct {
	Col  string
	Path []pathStep
}

type selectItem struct {
	Star  bool
	Alias string
	Field field
	Cast  string
	Embed *embedSel
}

type embedSel struct {
	Rel   string
	Hint  string
	Inner bool
	Items []selectItem
}

type filter struct {
	Field  field
	Not    bool
	Op     string
	Config string
	Value  string
	List   []string
}

// cond is a filter or a logic tree.
type cond struct {
	F        *filter
	Logic    string // "and" / "or" when F is nil
	Not      bool
	Children []cond
}

type orderTerm struct {
	Field field
	Desc  bool
	Nulls string // "", "first", "last"
}

// splitTop splits s at top-level sep, respecting parentheses and double quotes.
func splitTop(s string, sep byte) ([]string, error) {
	var out []string
	depth, start, inQ := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQ:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQ = false
			}
		case c == '"':
			inQ = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, perr("unexpected \")\"", "%q", s)
			}
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if depth != 0 || inQ {
		return nil, perr("unbalanced parentheses or quotes", "%q", s)
	}
	return append(out, s[start:]), nil
}

var castTypes = map[string]bool{"text": true, "int": true, "int4": true, "int8": true, "integer": true, "bigint": true,
	"numeric": true, "float8": true, "float4": true, "bool": true, "boolean": true, "json": true, "jsonb": true,
	"uuid": true, "date": true, "timestamptz": true, "timestamp": true, "varchar": true, "smallint": true}

func parseField(s string) (field, error) {
	var f field
	s = strings.TrimSpace(s)
	if s == "" {
		return f, perr("empty column name", "")
	}
	parts := strings.Split(s, "->")
	f.Col = unquote(parts[0])
	if f.Col == "" || strings.ContainsAny(f.Col, "(),:") {
		return f, perr("invalid column name", "%q", s)
	}
	for _, p := range parts[1:] {
		step := pathStep{Arrow: "->", Key: p}
		if strings.HasPrefix(p, ">") {
			step = pathStep{Arrow: "->>", Key: p[1:]}
		}
		step.Key = unquote(step.Key)
		if step.Key == "" {
			return f, perr("invalid JSON path", "%q", s)
		}
		f.Path = append(f.Path, step)
	}
	return f, nil
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		s = strings.ReplaceAll(s, `\"`, `"`)
		s = strings.ReplaceAll(s, `\\`, `\`)
	}
	return s
}

// aliasSplit splits "alias:rest" at a single colon (not "::").
func aliasSplit(s string) (alias, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			return "", s
		}
		if s[i] == ':' {
			if i+1 < len(s) && s[i+1] == ':' {
				return "", s
			}
			return strings.TrimSpace(s[:i]), s[i+1:]
		}
		if s[i] == '(' {
			return "", s
		}
	}
	return "", s
}

func parseSelect(s string) ([]selectItem, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return []selectItem{{Star: true}}, nil
	}
	parts, err := splitTop(s, ',')
	if err != nil {
		return nil, err
	}
	var items []selectItem
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, perr("failed to parse select parameter ("+s+")", "empty select item")
		}
		if p == "*" {
			items = append(items, selectItem{Star: true})
			continue
		}
		alias, rest := aliasSplit(p)
		if i := strings.IndexByte(rest, '('); i >= 0 {
			if !strings.HasSuffix(rest, ")") {
				return nil, perr("failed to parse select parameter ("+s+")", "%q", p)
			}
			head, inner := rest[:i], rest[i+1:len(rest)-1]
			e := &embedSel{}
			segs := strings.Split(head, "!")
			e.Rel = strings.TrimSpace(segs[0])
			for _, h := range segs[1:] {
				switch h {
				case "inner":
					e.Inner = true
				case "left":
				default:
					e.Hint = h
				}
			}
			if e.Rel == "" {
				return nil, perr("failed to parse select parameter ("+s+")", "%q", p)
			}
			sub, err := parseSelect(inner)
			if err != nil {
				return nil, err
			}
			e.Items = sub
			items = append(items, selectItem{Alias: alias, Embed: e})
			continue
		}
		it := selectItem{Alias: alias}
		if i := strings.Index(rest, "::"); i >= 0 {
			it.Cast = strings.TrimSpace(rest[i+2:])
			rest = rest[:i]
			if !castTypes[it.Cast] {
				return nil, perr("failed to parse select parameter ("+s+")", "unsupported cast %q", it.Cast)
			}
		}
		f, err := parseField(rest)
		if err != nil {
			return nil, err
		}
		it.Field = f
		items = append(items, it)
	}
	return items, nil
}

var ops = map[string]bool{"eq": true, "neq": true, "gt": true, "gte": true, "lt": true, "lte": true, "like": true,
	"ilike": true, "match": true, "imatch": true, "in": true, "is": true, "isdistinct": true, "cs": true, "cd": true,
	"ov": true, "sl": true, "sr": true, "nxl": true, "nxr": true, "adj": true, "fts": true, "plfts": true,
	"phfts": true, "wfts": true}

// parseOpValue parses "[not.]op[(config)].value".
func parseOpValue(f *filter, s string) error {
	if rest, ok := strings.CutPrefix(s, "not."); ok {
		f.Not = true
		s = rest
	}
	op, val, ok := strings.Cut(s, ".")
	if !ok {
		return perr(`"failed to parse filter (`+s+`)"`, "expected an operator and a value")
	}
	if i := strings.IndexByte(op, '('); i > 0 && strings.HasSuffix(op, ")") {
		f.Config = op[i+1 : len(op)-1]
		op = op[:i]
		if !strings.HasSuffix(op, "fts") || f.Config == "" {
			return perr("failed to parse filter ("+s+")", "unexpected %q", f.Config)
		}
	}
	if !ops[op] {
		return perr("failed to parse filter ("+s+")", "unknown operator %q", op)
	}
	f.Op, f.Value = op, val
	switch op {
	case "in":
		if !strings.HasPrefix(val, "(") || !strings.HasSuffix(val, ")") {
			return perr("failed to parse filter (in."+val+")", "expected a list in parentheses")
		}
		inner := val[1 : len(val)-1]
		f.List = []string{}
		if inner != "" {
			parts, err := splitTop(inner, ',')
			if err != nil {
				return err
			}
			for _, p := range parts {
				f.List = append(f.List, unquote(strings.TrimSpace(p)))
			}
		}
	case "is":
		switch strings.ToLower(val) {
		case "null", "true", "false", "unknown", "not_null":
		default:
			return perr("failed to parse filter (is."+val+")", "is accepts null, not_null, true, false, unknown")
		}
	}
	return nil
}

// parseFilter parses "col=op.value" (key, value).
func parseFilter(key, value string) (cond, error) {
	f := &filter{}
	fld, err := parseField(key)
	if err != nil {
		return cond{}, err
	}
	f.Field = fld
	if err := parseOpValue(f, value); err != nil {
		return cond{}, err
	}
	return cond{F: f}, nil
}

// parseLogic parses "(a.eq.1,and(b.gt.2,c.lt.3))" for the or/and params.
func parseLogic(op string, not bool, value string) (cond, error) {
	if !strings.HasPrefix(value, "(") || !strings.HasSuffix(value, ")") {
		return cond{}, perr("failed to parse logic tree ("+value+")", "expected parentheses")
	}
	parts, err := splitTop(value[1:len(value)-1], ',')
	if err != nil {
		return cond{}, err
	}
	c := cond{Logic: op, Not: not}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		neg := false
		if rest, ok := strings.CutPrefix(p, "not."); ok && (strings.HasPrefix(rest, "and(") || strings.HasPrefix(rest, "or(")) {
			neg, p = true, rest
		}
		if strings.HasPrefix(p, "and(") || strings.HasPrefix(p, "or(") {
			i := strings.IndexByte(p, '(')
			sub, err := parseLogic(p[:i], neg, p[i:])
			if err != nil {
				return cond{}, err
			}
			c.Children = append(c.Children, sub)
			continue
		}
		col, rest, ok := strings.Cut(p, ".")
		if !ok {
			return cond{}, perr("failed to parse logic tree ("+value+")", "%q", p)
		}
		sub, err := parseFilter(col, rest)
		if err != nil {
			return cond{}, err
		}
		c.Children = append(c.Children, sub)
	}
	return c, nil
}

func parseOrder(s string) ([]orderTerm, error) {
	parts, err := splitTop(s, ',')
	if err != nil {
		return nil, err
	}
	var out []orderTerm
	for _, p := range parts {
		segs := strings.Split(strings.TrimSpace(p), ".")
		f, err := parseField(segs[0])
		if err != nil {
			return nil, err
		}
		t := orderTerm{Field: f}
		for _, m := range segs[1:] {
			switch m {
			case "asc":
			case "desc":
				t.Desc = true
			case "nullsfirst":
				t.Nulls = "first"
			case "nullslast":
				t.Nulls = "last"
			default:
				return nil, perr("failed to parse order ("+s+")", "unexpected %q", m)
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func parseNonNeg(name, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, perr("failed to parse "+name+" parameter ("+s+")", "expected a non-negative integer")
	}
	return n, nil
}
