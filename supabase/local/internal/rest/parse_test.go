package rest

import (
	"strings"
	"testing"
)

func TestParseSelect(t *testing.T) {
	items, err := parseSelect("slug,cat:categories(name),shader_versions!inner(version),meta->a->>b,n:name::text,*")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 6 {
		t.Fatalf("items %+v", items)
	}
	if items[1].Alias != "cat" || items[1].Embed.Rel != "categories" {
		t.Fatalf("embed %+v", items[1])
	}
	if !items[2].Embed.Inner {
		t.Fatalf("inner %+v", items[2].Embed)
	}
	if f := items[3].Field; f.Col != "meta" || len(f.Path) != 2 || f.Path[1].Arrow != "->>" || f.Path[1].Key != "b" {
		t.Fatalf("json path %+v", f)
	}
	if items[4].Alias != "n" || items[4].Cast != "text" {
		t.Fatalf("alias/cast %+v", items[4])
	}
	for _, bad := range []string{"a,,b", "x(", "a::pg_sleep", "rel(a", "a)"} {
		if _, err := parseSelect(bad); err == nil {
			t.Errorf("parseSelect(%q) accepted", bad)
		}
	}
}

func TestParseFilters(t *testing.T) {
	c, err := parseFilter("id", `in.(a,"b,c",d)`)
	if err != nil || strings.Join(c.F.List, "|") != "a|b,c|d" {
		t.Fatalf("in: %+v %v", c.F, err)
	}
	c, err = parseFilter("name", "not.ilike.*steel*")
	if err != nil || !c.F.Not || c.F.Op != "ilike" || c.F.Value != "*steel*" {
		t.Fatalf("not ilike: %+v %v", c.F, err)
	}
	c, err = parseFilter("doc", "wfts(english).brushed steel")
	if err != nil || c.F.Config != "english" || c.F.Op != "wfts" {
		t.Fatalf("fts: %+v %v", c.F, err)
	}
	l, err := parseLogic("or", false, "(a.eq.1,and(b.gt.2,not.or(c.is.null,d.lt.3)))")
	if err != nil || len(l.Children) != 2 || l.Children[1].Logic != "and" || !l.Children[1].Children[1].Not {
		t.Fatalf("logic: %+v %v", l, err)
	}
	for _, bad := range [][2]string{{"id", "zz.1"}, {"id", "eq"}, {"id", "in.a,b"}, {"id", "is.maybe"}, {"id", "eq(english).x"}, {"", "eq.1"}} {
		if _, err := parseFilter(bad[0], bad[1]); err == nil {
			t.Errorf("parseFilter(%q, %q) accepted", bad[0], bad[1])
		}
	}
	if _, err := parseLogic("or", false, "(a.eq.1"); err == nil {
		t.Error("unbalanced or accepted")
	}
}

func TestParseOrder(t *testing.T) {
	o, err := parseOrder("a.desc.nullslast,b")
	if err != nil || len(o) != 2 || !o[0].Desc || o[0].Nulls != "last" || o[1].Desc {
		t.Fatalf("%+v %v", o, err)
	}
	if _, err := parseOrder("a.sideways"); err == nil {
		t.Fatal("bad modifier accepted")
	}
}

func testCatalog() *catalog {
	rel := &relation{Name: "shaders", Columns: []column{{Name: "id", Type: "uuid"}, {Name: "name", Type: "text"}, {Name: "tags", Type: "text[]"}}}
	rel.colIdx = map[string]*column{}
	for i := range rel.Columns {
		rel.colIdx[rel.Columns[i].Name] = &rel.Columns[i]
	}
	return &catalog{rels: map[string]*relation{"shaders": rel}}
}

// Values never reach the SQL text; identifiers are quoted after the catalog check.
func TestFilterSQLBindsValues(t *testing.T) {
	cat := testCatalog()
	b := &builder{cat: cat, schema: "public"}
	evil := "x'); drop table shaders; --"
	c, err := parseFilter("name", "eq."+evil)
	if err != nil {
		t.Fatal(err)
	}
	sql, err := b.condSQL(relCols(cat.rels["shaders"]), "_p0", c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sql, "drop") || len(b.args) != 1 || b.args[0] != evil {
		t.Fatalf("sql %q args %v", sql, b.args)
	}
	c, _ = parseFilter(`nope"; drop`, "eq.1")
	if _, err := b.condSQL(relCols(cat.rels["shaders"]), "_p0", c); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("unknown column err = %v", err)
	}
}

func FuzzParseFilter(f *testing.F) {
	f.Add("id", "eq.1")
	f.Add("or", "(a.eq.1,and(b.gt.2,c.lt.3))")
	f.Add("name", `in.("a,b",c)`)
	f.Add("doc", "not.wfts(english).a b")
	f.Fuzz(func(t *testing.T, key, value string) {
		cat := testCatalog()
		b := &builder{cat: cat, schema: "public"}
		var c cond
		var err error
		if key == "or" || key == "and" {
			c, err = parseLogic(key, false, value)
		} else {
			c, err = parseFilter(key, value)
		}
		if err != nil {
			return
		}
		sql, err := b.condSQL(relCols(cat.rels["shaders"]), "_p0", c)
		if err != nil {
			return
		}
		// Everything the caller wrote is either a checked column or a bound parameter.
		if strings.Contains(sql, ";") {
			t.Fatalf("statement separator in SQL %q", sql)
		}
	})
}

func FuzzParseSelect(f *testing.F) {
	f.Add("slug,cat:categories(name),meta->a->>b,n:name::text,*")
	f.Fuzz(func(t *testing.T, s string) {
		parseSelect(s)
	})
}
