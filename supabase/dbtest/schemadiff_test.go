package dbtest

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/supabase/dbtest/schemadiff"
)

// The comparer that proved the migrations' squash (go run ./supabase/dbtest/cmd/schemadiff OLD
// NEW; docs/decisions.md, "Migrations squashed once") keeps working for the next one: a database
// built from supabase/migrations compares equal to its copy, and after one change of each kind
// (function body, policy, grants, column default, index, RLS, trigger, comment, enum, constraint,
// security definer, view) the diff names exactly the changed objects.
func TestSchemaDiffSeesEveryKindOfChange(t *testing.T) {
	r := newRunner(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	built, copied := r.emptyDB(), r.emptyDB()
	if err := schemadiff.Build(ctx, r.admin, r.root, built, filepath.Join(r.root, "supabase", "migrations")); err != nil {
		t.Fatal(err)
	}
	before, err := schemadiff.Take(ctx, r.url(built))
	if err != nil {
		t.Fatal(err)
	}
	if len(before) < 500 || before["function public.redeem_import_token(uuid,uuid,uuid,text,uuid)"] == "" ||
		!strings.Contains(before[`policy realtime.messages "Devices can receive broadcasts on their own device topic"`], "revoked_at") {
		t.Fatalf("the snapshot misses expected objects (%d entries); the comparison would be vacuous", len(before))
	}
	r.exec("postgres", "create database "+copied+" template "+built)
	same, err := schemadiff.Take(ctx, r.url(copied))
	if err != nil {
		t.Fatal(err)
	}
	if d := schemadiff.Diff(before, same); len(d) > 0 {
		t.Fatalf("a copy differs from its original:\n%s", strings.Join(d, "\n"))
	}

	changes := []struct{ sql, want string }{
		{`create or replace function public.prune_rate_limits() returns int
		  language sql security definer set search_path = ''
		  as $$ select 0 $$`, "~ function public.prune_rate_limits()"},
		{`alter policy "Anyone can read categories" on public.categories using (false)`,
			`~ policy public.categories "Anyone can read categories"`},
		{`grant execute on function public.expire_imports() to anon`, "+ grant function public.expire_imports() anon"},
		{`revoke select (prefix) on public.api_keys from authenticated`, "- grant column public.api_keys.prefix authenticated"},
		{`alter table public.categories alter column sort_order set default 1`, "~ column public.categories.sort_order"},
		{`drop index public.favorites_shader_idx`, "- index public.favorites_shader_idx"},
		{`alter table public.rate_limits disable row level security`, "~ relation public.rate_limits"},
		{`alter table public.shader_versions disable trigger shader_versions_immutable`,
			"~ trigger public.shader_versions shader_versions_immutable"},
		{`comment on table public.shaders is 'Shaders'`, "+ comment table public.shaders"},
		{`alter type public.import_status add value 'paused'`, "~ type public.import_status"},
		{`alter table public.categories add constraint categories_name_check check (name <> '')`,
			"+ constraint public.categories categories_name_check"},
		{`alter function public.search_shaders(text, text, text[], text, text, int, int) security invoker`,
			"~ function public.search_shaders(text,text,text[],text,text,integer,integer)"},
		{`create view public.diff_probe as select 1 as one`, "+ view public.diff_probe"},
	}
	for _, c := range changes {
		r.exec(copied, c.sql)
	}
	after, err := schemadiff.Take(ctx, r.url(copied))
	if err != nil {
		t.Fatal(err)
	}
	diff := schemadiff.Diff(before, after)
	var heads []string
	for _, d := range diff {
		heads = append(heads, strings.SplitN(strings.SplitN(d, "\n", 2)[0], ": ", 2)[0])
	}
	for _, c := range changes {
		if !slices.Contains(heads, c.want) {
			t.Errorf("after %q the diff does not say %q; it says:\n%s", strings.Fields(c.sql)[0:3], c.want, strings.Join(heads, "\n"))
		}
	}
	// The view also brings its relation, column and grants; nothing else may differ.
	for _, h := range heads {
		explained := strings.Contains(h, "public.diff_probe")
		for _, c := range changes {
			explained = explained || h == c.want
		}
		if !explained {
			t.Errorf("unexpected difference %q", h)
		}
	}
	// A changed body shows the changed lines.
	if d := diff[slices.Index(heads, "~ function public.prune_rate_limits()")]; !strings.Contains(d, "+ AS $function$ select 0") {
		t.Errorf("the body change is not shown line by line:\n%s", d)
	}
}
