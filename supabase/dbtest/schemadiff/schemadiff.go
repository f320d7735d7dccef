// Package schemadiff builds a database from a folder of migrations, the way scripts/db.sh does,
// and compares what two such databases define: tables and columns (in order), constraints,
// indexes, row level security and policies, function definitions (with security definer and
// their settings), grants, triggers, views, sequences, types, comments, publications and default
// privileges. Owners are left out, so two builds by different roles compare equal.
//
// It proves a squash of migrations changed nothing (docs/decisions.md, "Migrations squashed
// once"); run it by hand with `go run ./supabase/dbtest/cmd/schemadiff OLD_DIR NEW_DIR`.
package schemadiff

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Build creates database db on the cluster of admin (a superuser URL) and applies, in ONE
// transaction as scripts/db.sh does, the local shims (root/supabase/local/sql/*.sql) and then the
// *.sql files of each folder in dirs, each folder in file-name order. No seed, nothing recorded
// in supabase_migrations.schema_migrations. The database must not exist.
func Build(ctx context.Context, admin, root, db string, dirs ...string) error {
	files, err := filepath.Glob(filepath.Join(root, "supabase", "local", "sql", "*.sql"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no shims under %s/supabase/local/sql", root)
	}
	for _, d := range dirs {
		m, err := filepath.Glob(filepath.Join(d, "*.sql"))
		if err != nil || len(m) == 0 {
			return fmt.Errorf("no migrations in %s", d)
		}
		slices.Sort(m)
		files = append(files, m...)
	}
	var script strings.Builder
	script.WriteString("begin;\n")
	script.WriteString("create schema if not exists supabase_migrations;\n")
	script.WriteString("create table if not exists supabase_migrations.schema_migrations (version text primary key, name text, applied_at timestamptz not null default now());\n")
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return err
		}
		fmt.Fprintf(&script, "\\ir %s\n", abs)
	}
	script.WriteString("commit;\n")

	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "create database "+pgx.Identifier{db}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", db, err)
	}

	u, err := url.Parse(admin)
	if err != nil {
		return err
	}
	pass, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	cmd := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", u.Hostname(), "-p", port, "-U", u.User.Username(), "-d", db, "-f", "-")
	cmd.Stdin = strings.NewReader(script.String())
	cmd.Env = append(os.Environ(), "PGPASSWORD="+pass, "PGOPTIONS=-c client_min_messages=warning")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("applying migrations to %s: %v\n%s", db, err, out.String())
	}
	return nil
}

// Drop removes database db (if it exists) from the cluster of admin.
func Drop(ctx context.Context, admin, db string) error {
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "drop database if exists "+pgx.Identifier{db}.Sanitize()+" with (force)")
	return err
}

// URL is admin's URL with its database replaced by db.
func URL(admin, db string) string {
	u, err := url.Parse(admin)
	if err != nil {
		return admin
	}
	u.Path = "/" + db
	return u.String()
}

// Snapshot is what a database defines: one entry per object or property, keyed by its kind and
// qualified name ("function public.cancel_import(uuid)", "grant relation public.shaders anon").
type Snapshot map[string]string

// Take reads the snapshot of the database at dbURL. Everything outside the system schemas counts,
// except objects that belong to an extension (the extension itself is listed with its version).
func Take(ctx context.Context, dbURL string) (Snapshot, error) {
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer c.Close(ctx)
	// Fully qualified names in every regclass, regtype and deparsed expression.
	if _, err := c.Exec(ctx, "set search_path = pg_catalog"); err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, snapshotSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	s := Snapshot{}
	for rows.Next() {
		var k string
		var v *string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		val := ""
		if v != nil {
			val = *v
		}
		if prev, dup := s[k]; dup {
			val = prev + "\n" + val
		}
		s[k] = val
	}
	return s, rows.Err()
}

// Diff lists how b differs from a, one entry per differing key, sorted: "- key" (only in a),
// "+ key" (only in b), or "~ key" followed by the lines of a's value that b lacks ("-") and
// the lines of b's value that a lacks ("+"). Empty when the two define the same.
func Diff(a, b Snapshot) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		va, inA := a[k]
		vb, inB := b[k]
		switch {
		case !inB:
			out = append(out, "- "+k+": "+firstLine(va))
		case !inA:
			out = append(out, "+ "+k+": "+firstLine(vb))
		case va != vb:
			out = append(out, "~ "+k+"\n"+lineDiff(va, vb))
		}
	}
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// lineDiff shows the lines of a and b outside their longest common subsequence.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j]: length of the LCS of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "    - "+x[i])
			i++
		default:
			out = append(out, "    + "+y[j])
			j++
		}
	}
	return strings.Join(out, "\n")
}

// snapshotSQL returns (key, value) rows. Grants name the owner "owner" and PUBLIC "public";
// a missing ACL is expanded to its default (acldefault), so "never granted" and "granted what
// the default already gives" compare equal, as they behave.
const snapshotSQL = `
with ns as (
  select oid, nspname from pg_namespace
  where nspname not in ('pg_catalog', 'information_schema') and nspname !~ '^pg_(toast|temp)'
),
ext as (select classid, objid from pg_depend where deptype = 'e'),
rel as (
  select c.* from pg_class c join ns on ns.oid = c.relnamespace
  where not exists (select 1 from ext where ext.classid = 'pg_class'::regclass and ext.objid = c.oid)
),
fn as (
  select p.* from pg_proc p join ns on ns.oid = p.pronamespace
  where not exists (select 1 from ext where ext.classid = 'pg_proc'::regclass and ext.objid = p.oid)
),
typ as (
  select t.* from pg_type t join ns on ns.oid = t.typnamespace
  where t.typtype in ('e', 'd', 'r')
    and not exists (select 1 from ext where ext.classid = 'pg_type'::regclass and ext.objid = t.oid)
),
acls as (
  select 'schema ' || quote_ident(n.nspname) as obj, coalesce(n.nspacl, acldefault('n'::"char", n.nspowner)) as acl, n.nspowner as owner
    from pg_namespace n join ns using (oid)
  union all
  select 'relation ' || c.oid::regclass::text,
         coalesce(c.relacl, acldefault((case when c.relkind = 'S' then 's' else 'r' end)::"char", c.relowner)), c.relowner
    from rel c where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
  union all
  select 'column ' || c.oid::regclass::text || '.' || quote_ident(a.attname), a.attacl, c.relowner
    from rel c join pg_attribute a on a.attrelid = c.oid
   where a.attnum > 0 and not a.attisdropped and a.attacl is not null
  union all
  select 'function ' || p.oid::regprocedure::text, coalesce(p.proacl, acldefault('f'::"char", p.proowner)), p.proowner from fn p
  union all
  select 'type ' || t.oid::regtype::text, coalesce(t.typacl, acldefault('T'::"char", t.typowner)), t.typowner from typ t
)
select k, v from (
  select 'schema ' || quote_ident(nspname) as k, '' as v from ns
  union all
  select 'extension ' || quote_ident(e.extname), e.extversion || ' in ' || e.extnamespace::regnamespace::text
    from pg_extension e
  union all
  select 'relation ' || c.oid::regclass::text,
         format('kind %s, persistence %s, row level security %s, forced %s, replica identity %s, options %s',
                c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, c.relreplident, c.reloptions)
    from rel c where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f', 'c')
  union all
  select 'column ' || c.oid::regclass::text || '.' || quote_ident(a.attname),
         format('#%s %s%s%s%s%s',
                row_number() over (partition by c.oid order by a.attnum),
                format_type(a.atttypid, a.atttypmod),
                case when a.attnotnull then ' not null' else '' end,
                case when a.attgenerated = 's' then ' generated always as (' || pg_get_expr(d.adbin, d.adrelid) || ') stored'
                     when d.adbin is not null then ' default ' || pg_get_expr(d.adbin, d.adrelid) else '' end,
                case when a.attidentity <> '' then ' identity ' || a.attidentity::text else '' end,
                case when a.attcollation <> t.typcollation then ' collate ' || a.attcollation::regcollation::text else '' end)
    from rel c
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    join pg_type t on t.oid = a.atttypid
    left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
   where c.relkind in ('r', 'p', 'v', 'm', 'f', 'c')
  union all
  select 'constraint ' || coalesce(co.conrelid::regclass::text, co.contypid::regtype::text) || ' ' || quote_ident(co.conname),
         pg_get_constraintdef(co.oid)
    from pg_constraint co join ns on ns.oid = co.connamespace
   where co.conrelid = 0 or co.conrelid in (select oid from rel)
  union all
  select 'index ' || i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    from pg_index i join rel c on c.oid = i.indexrelid
  union all
  select 'policy ' || p.polrelid::regclass::text || ' ' || quote_ident(p.polname),
         format(E'%s for %s to %s\nusing (%s)\nwith check (%s)',
                case when p.polpermissive then 'permissive' else 'restrictive' end,
                p.polcmd,
                (select string_agg(case when r = 0 then 'public' else r::regrole::text end, ', ' order by 1)
                   from unnest(p.polroles) r),
                pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
    from pg_policy p join rel c on c.oid = p.polrelid
  union all
  select 'function ' || p.oid::regprocedure::text,
         case when p.prokind = 'a' then 'aggregate' else pg_get_functiondef(p.oid) end
    from fn p
  union all
  select 'trigger ' || tg.tgrelid::regclass::text || ' ' || quote_ident(tg.tgname),
         pg_get_triggerdef(tg.oid) || ' (enabled ' || tg.tgenabled::text || ')'
    from pg_trigger tg join rel c on c.oid = tg.tgrelid where not tg.tgisinternal
  union all
  select 'view ' || c.oid::regclass::text, pg_get_viewdef(c.oid) from rel c where c.relkind in ('v', 'm')
  union all
  select 'rule ' || r.schemaname || '.' || r.tablename || ' ' || r.rulename, r.definition
    from pg_rules r where r.schemaname in (select nspname from ns)
  union all
  select 'sequence ' || s.seqrelid::regclass::text,
         format('%s start %s increment %s min %s max %s cache %s cycle %s', s.seqtypid::regtype, s.seqstart,
                s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
    from pg_sequence s join rel c on c.oid = s.seqrelid
  union all
  select 'type ' || t.oid::regtype::text,
         case t.typtype
           when 'e' then 'enum (' || (select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder)
                                        from pg_enum e where e.enumtypid = t.oid) || ')'
           when 'd' then format('domain %s%s%s', format_type(t.typbasetype, t.typtypmod),
                                case when t.typnotnull then ' not null' else '' end,
                                ' default ' || t.typdefault)
           else 'range of ' || (select rngsubtype::regtype::text from pg_range where rngtypid = t.oid)
         end
    from typ t
  union all
  select 'comment ' || o.type || ' ' || o.identity, d.description
    from pg_description d, lateral pg_identify_object(d.classoid, d.objoid, d.objsubid) o
   where (o.schema in (select nspname from ns) or (o.type = 'schema' and o.identity in (select nspname from ns)))
     and not exists (select 1 from ext where ext.classid = d.classoid and ext.objid = d.objoid)
  union all
  select 'grant ' || a.obj || ' ' || case when x.grantee = 0 then 'public' when x.grantee = a.owner then 'owner'
                                          else x.grantee::regrole::text end,
         string_agg(x.privilege_type || case when x.is_grantable then ' with grant option' else '' end, ', '
                    order by x.privilege_type)
    from acls a, lateral aclexplode(a.acl) x
   group by a.obj, a.owner, x.grantee
  union all
  select 'default privileges ' || da.defaclrole::regrole::text || ' in ' || coalesce(da.defaclnamespace::regnamespace::text, 'all schemas')
         || ' on ' || da.defaclobjtype::text || ' to ' || case when x.grantee = 0 then 'public' else x.grantee::regrole::text end,
         string_agg(x.privilege_type || case when x.is_grantable then ' with grant option' else '' end, ', '
                    order by x.privilege_type)
    from pg_default_acl da, lateral aclexplode(da.defaclacl) x
   group by da.defaclrole, da.defaclnamespace, da.defaclobjtype, x.grantee
  union all
  select 'publication ' || quote_ident(p.pubname),
         format('all tables %s, insert %s, update %s, delete %s, truncate %s', p.puballtables, p.pubinsert,
                p.pubupdate, p.pubdelete, p.pubtruncate)
    from pg_publication p
  union all
  select 'publication ' || quote_ident(pt.pubname) || ' table ' || quote_ident(pt.schemaname) || '.' || quote_ident(pt.tablename),
         coalesce(array_to_string(pt.attnames, ', '), '') || coalesce(' where ' || pt.rowfilter, '')
    from pg_publication_tables pt
  union all
  select 'event trigger ' || quote_ident(e.evtname), e.evtevent || ' ' || e.evtfoid::regprocedure::text || ' ' || e.evtenabled::text
    from pg_event_trigger e
) s
order by k, v`
