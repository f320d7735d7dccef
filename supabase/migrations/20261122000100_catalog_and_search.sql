-- Catalog and search: profiles, categories, shaders, immutable shader versions, favourites, and
-- the search over published shaders (full text first; prefixes and typo corrections from a list
-- of the catalog's words).

create extension if not exists pg_trgm with schema extensions;

-- profiles ------------------------------------------------------------------------------------
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text check (char_length(display_name) <= 80),
  is_operator boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.profiles enable row level security;

create policy "Users can read their own profile" on public.profiles
  for select to authenticated using (id = auth.uid());
create policy "Users can update their own profile" on public.profiles
  for update to authenticated using (id = auth.uid()) with check (id = auth.uid());

-- is_operator is granted by the operator, never by the user themselves.
revoke update on public.profiles from anon, authenticated;
grant update (display_name, updated_at) on public.profiles to authenticated;

-- Every new user gets a profile. display_name is cut to the column's 80 characters: a longer name
-- in the sign-up metadata (or e-mail local part) would otherwise fail the sign-up itself.
create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.profiles (id, display_name)
  values (new.id, left(coalesce(new.raw_user_meta_data ->> 'display_name', split_part(new.email, '@', 1)), 80))
  on conflict (id) do nothing;
  return new;
end
$$;
revoke execute on function public.handle_new_user() from public, anon, authenticated;

create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();

-- categories ----------------------------------------------------------------------------------
create table public.categories (
  id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
  name text not null,
  sort_order int not null default 0
);
alter table public.categories enable row level security;
create policy "Anyone can read categories" on public.categories
  for select to anon, authenticated using (true);

-- shaders -------------------------------------------------------------------------------------
create function public.tags_text(tags text[]) returns text
language sql immutable parallel safe
as $$ select coalesce(array_to_string(tags, ' '), '') $$;

create table public.shaders (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,63}$'),
  name text not null check (char_length(name) between 1 and 120),
  description text not null default '' check (char_length(description) <= 4000),
  category_id text not null references public.categories (id),
  tags text[] not null default '{}',
  is_free boolean not null default false,
  published boolean not null default false,
  preview_key text,
  latest_version text,
  popularity int not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  search tsvector generated always as (
    setweight(to_tsvector('english', name), 'A') ||
    setweight(to_tsvector('english', public.tags_text(tags)), 'B') ||
    setweight(to_tsvector('english', description), 'C')
  ) stored
);
create index shaders_search_idx on public.shaders using gin (search);
create index shaders_name_trgm_idx on public.shaders using gin (name extensions.gin_trgm_ops);
create index shaders_tags_idx on public.shaders using gin (tags);
create index shaders_category_idx on public.shaders (category_id) where published;
create index shaders_popular_idx on public.shaders (popularity desc, id) where published;
create index shaders_newest_idx on public.shaders (created_at desc, id) where published;
create index shaders_name_idx on public.shaders (name, id) where published;
create index shaders_free_popular_idx on public.shaders (popularity desc, id) where published and is_free;
create index shaders_pro_popular_idx on public.shaders (popularity desc, id) where published and not is_free;
alter table public.shaders enable row level security;

create policy "Anyone can read published shaders" on public.shaders
  for select to anon, authenticated using (published);

-- shader_versions: immutable once written -----------------------------------------------------
create table public.shader_versions (
  id uuid primary key default gen_random_uuid(),
  shader_id uuid not null references public.shaders (id) on delete cascade,
  version text not null check (version ~ '^[0-9]+\.[0-9]+\.[0-9]+$'),
  package_key text not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  size bigint not null check (size > 0),
  manifest jsonb not null,
  manifest_sig text not null,
  min_blender text,
  min_octane text,
  texture_resolutions text[] not null default '{}',
  created_at timestamptz not null default now(),
  unique (shader_id, version)
);
create index shader_versions_shader_idx on public.shader_versions (shader_id, created_at desc);
alter table public.shader_versions enable row level security;

create policy "Anyone can read versions of published shaders" on public.shader_versions
  for select to anon, authenticated
  using (exists (select 1 from public.shaders s where s.id = shader_id and s.published));

create function public.forbid_version_change() returns trigger
language plpgsql
as $$
begin
  raise exception 'shader versions are immutable; publish a new version instead'
    using errcode = 'P0001', hint = 'VERSION_IMMUTABLE';
end
$$;
create trigger shader_versions_immutable before update on public.shader_versions
  for each row execute function public.forbid_version_change();

-- A version row goes away only with its shader (ON DELETE CASCADE): deleting "1.0.0" and publishing
-- it again with other content would hand a bridge a different package under a version it knows.
create function public.forbid_version_delete() returns trigger
language plpgsql
as $$
begin
  if exists (select 1 from public.shaders s where s.id = old.shader_id) then
    raise exception 'shader versions are immutable; publish a new version instead'
      using errcode = 'P0001', hint = 'VERSION_IMMUTABLE';
  end if;
  return old;
end
$$;
create trigger shader_versions_no_delete before delete on public.shader_versions
  for each row execute function public.forbid_version_delete();

-- favorites -----------------------------------------------------------------------------------
create table public.favorites (
  user_id uuid not null references auth.users (id) on delete cascade default auth.uid(),
  shader_id uuid not null references public.shaders (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (user_id, shader_id)
);
create index favorites_shader_idx on public.favorites (shader_id);
alter table public.favorites enable row level security;
create policy "Users can read their own favourites" on public.favorites
  for select to authenticated using (user_id = auth.uid());
-- Only a shader the user can see: the foreign key check ignores RLS, and would also tell whether
-- an unpublished shader's id exists.
create policy "Users can add their own favourites" on public.favorites
  for insert to authenticated
  with check (user_id = auth.uid()
              and exists (select 1 from public.shaders s where s.id = shader_id and s.published));
create policy "Users can remove their own favourites" on public.favorites
  for delete to authenticated using (user_id = auth.uid());

-- search --------------------------------------------------------------------------------------
-- search_shaders serves the site's browse page. Browsing reads a page straight off an index.
-- Searching is one pass over the full-text index: exact words first; only when they fill less
-- than a page does it widen to word prefixes and to the catalog words closest to a typo
-- (search_fuzzy_query), so "walnut" stays exactly "walnut" and "marbel" finds marble. Typos are
-- matched against the few thousand distinct words of the catalog (search_words), the pg_trgm
-- documentation's own spelling-suggestion recipe, never against every shader name. Measured by
-- the search bench over 100,000 shaders (docs/decisions.md, "Search in one pass over full text").

-- The distinct words of published shaders' names and tags, with how many shaders use them.
-- Kept by statement triggers on shaders, so the synthetic catalog's 100,000-row insert costs
-- one upsert per distinct word.
create table public.search_words (
  word text primary key,
  uses int not null
);
create index search_words_trgm_idx on public.search_words using gin (word extensions.gin_trgm_ops);
alter table public.search_words enable row level security;
-- No policies: only search_shaders (as definer) and service_role read it.
revoke all on public.search_words from anon, authenticated;

create function public.search_words_of(name text, tags text[]) returns setof text
language sql immutable parallel safe
as $$
  select distinct w
  from regexp_split_to_table(lower(name || ' ' || coalesce(array_to_string(tags, ' '), '')), '[^[:alnum:]]+') w
  where char_length(w) >= 3
$$;
revoke execute on function public.search_words_of(text, text[]) from public, anon, authenticated;

create function public.search_words_sync() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  came text[] := '{}';
  gone text[] := '{}';
begin
  -- Transition tables exist only for the events that have them, so each branch names its own.
  if tg_op = 'INSERT' then
    came := array(select w from new_rows r, public.search_words_of(r.name, r.tags) w where r.published);
  elsif tg_op = 'DELETE' then
    gone := array(select w from old_rows r, public.search_words_of(r.name, r.tags) w where r.published);
  else
    -- Popularity changes with every finished import; only name, tags and visibility matter here.
    gone := array(select w from old_rows o join new_rows n using (id), public.search_words_of(o.name, o.tags) w
                  where o.published and (o.name, o.tags, o.published) is distinct from (n.name, n.tags, n.published));
    came := array(select w from old_rows o join new_rows n using (id), public.search_words_of(n.name, n.tags) w
                  where n.published and (o.name, o.tags, o.published) is distinct from (n.name, n.tags, n.published));
  end if;
  if cardinality(came) + cardinality(gone) = 0 then
    return null;
  end if;
  -- Sorted, so concurrent publishes lock shared words in the same order.
  insert into public.search_words as d (word, uses)
  select c.w, sum(c.n)::int
  from (select unnest(came) as w, 1 as n union all select unnest(gone), -1) c
  group by c.w order by c.w
  on conflict (word) do update set uses = d.uses + excluded.uses;
  delete from public.search_words where word = any (gone) and uses <= 0;
  return null;
end
$$;
revoke execute on function public.search_words_sync() from public, anon, authenticated;

create trigger shaders_search_words_insert after insert on public.shaders
  referencing new table as new_rows for each statement execute function public.search_words_sync();
create trigger shaders_search_words_update after update on public.shaders
  referencing old table as old_rows new table as new_rows for each statement execute function public.search_words_sync();
create trigger shaders_search_words_delete after delete on public.shaders
  referencing old table as old_rows for each statement execute function public.search_words_sync();

-- The forgiving form of a search. The last word may also be the start of a longer word (the one
-- being typed). A word the catalog does not know (for the last word: no catalog word starts with
-- it) may also be one of the three catalog words closest to it: "marbel" -> marble, while
-- "terraz" stays terrazzo and does not drift to terracotta. Words are ANDed, like the exact
-- search; words of one or two letters are left out. correction is the query as the page shows it
-- back ("close matches for marble"), each corrected word replaced by its closest word; null when
-- no word was corrected.
create function public.search_fuzzy_query(term text, out query tsquery, out correction text)
language plpgsql stable security definer
set search_path = ''
set pg_trgm.word_similarity_threshold = 0.5
as $$
declare
  words text[];
  nwords int;
  n int;
  w text;
  c text;
  best text;
  alt tsquery;
  shown text[] := '{}';
  changed boolean := false;
begin
  words := array(select x.t from regexp_split_to_table(lower(term), '[^[:alnum:]]+') with ordinality x(t, i)
                 where x.t <> '' order by x.i);
  nwords := cardinality(words);
  for n in 1 .. nwords loop
    w := words[n];
    -- One or two letters are a word still being typed ("car p"): as a prefix they would match
    -- most of the catalog, as a word they would match nothing, so they are left out.
    if char_length(w) < 3 then
      shown := shown || w;
      continue;
    end if;
    -- w is letters and digits only, so it cannot carry tsquery syntax. Only the last word is the
    -- one being typed; a prefix of an earlier one ("car":* is carbon, carpet, ...) is not meant.
    alt := plainto_tsquery('english', w);
    if n = nwords then
      alt := alt || to_tsquery('english', w || ':*');
    end if;
    best := null;
    if not exists (select 1 from public.search_words d
                   where d.word = w or (n = nwords and d.word like w || '%')) then
      for c in select d.word from public.search_words d
               where w operator(extensions.<%) d.word
               order by extensions.word_similarity(w, d.word) desc, d.uses desc, d.word
               limit 3 loop
        alt := alt || plainto_tsquery('english', c);
        best := coalesce(best, c);
      end loop;
      changed := changed or best is not null;
    end if;
    shown := shown || coalesce(best, w);
    query := coalesce(query && alt, alt);
  end loop;
  query := coalesce(query, plainto_tsquery('english', ''));
  correction := case when changed then array_to_string(shown, ' ') end;
end
$$;
revoke execute on function public.search_fuzzy_query(text, out tsquery, out text) from public, anon, authenticated;

-- Browse and search for the site. It runs as definer, with the read policy's condition (published)
-- written into every query: under RLS the planner may not evaluate non-leakproof operators (@@,
-- ILIKE) before a policy's qual, so every search scanned the whole table. Each call is planned
-- with only the filters it has, and filter values are quoted into one alias, never rewritten.
-- total_count is capped (10,000 when browsing, 4,000 when searching); total_capped says so, so the
-- page can say "10,000+ shaders" rather than a number that is not the count. corrected_query is
-- the query with its typos corrected when the search used corrections.
create function public.search_shaders(
  q text default '',
  category text default null,
  tag_filter text[] default null,
  tier text default 'all',
  sort text default 'popular',
  page_size int default 24,
  page_offset int default 0
) returns table (
  id uuid, slug text, name text, description text, category_id text, tags text[],
  is_free boolean, preview_key text, latest_version text, popularity int,
  created_at timestamptz, total_count bigint, total_capped boolean, corrected_query text
)
language plpgsql stable security definer
set search_path = ''
-- A SET clause makes the function restore the setting on exit, also after the search branch's
-- set_config(..., true) below: that change never outlives the call.
set enable_seqscan = on
as $$
declare
  term text := nullif(btrim(coalesce(q, '')), '');
  lim int := least(greatest(coalesce(page_size, 24), 1), 100);
  off int := least(greatest(coalesce(page_offset, 0), 0), 10000);
  filters text := 'm.published';
  ord text;
  tsq tsquery;
  widened tsquery;
  corrected text;
  hits int;
  total bigint;
begin
  if category is not null then
    filters := filters || format(' and m.category_id = %L', category);
  end if;
  if tag_filter is not null then
    filters := filters || format(' and m.tags @> %L::text[]', tag_filter);
  end if;
  if tier = 'free' then
    filters := filters || ' and m.is_free';
  elsif tier = 'pro' then
    filters := filters || ' and not m.is_free';
  end if;

  ord := case sort
    when 'relevance' then 'm.rank desc, m.popularity desc, m.id'
    when 'newest' then 'm.created_at desc, m.id'
    when 'name' then 'm.name asc, m.id'
    else 'm.popularity desc, m.id'
  end;

  if term is null then
    -- Browsing: the page comes straight off an index; the count is separate and capped.
    execute format('select count(*) from (select 1 from public.shaders m where %s limit 10001) c', filters)
      into total;
    return query execute format(
      'select m.id, m.slug, m.name, m.description, m.category_id, m.tags, m.is_free, m.preview_key,
              m.latest_version, m.popularity, m.created_at, least($1, 10000), $1 > 10000, null::text
       from public.shaders m where %s order by %s limit %s offset %s',
      filters, ord, lim, off) using total;
    return;
  end if;

  -- Exact words first; fewer than a site page (24) of those, with the filters, and the search
  -- widens to prefixes and close words. A fixed 24, not page_size, so what matches does not
  -- depend on how it is paged. The probe stops at 24, so broad searches pay little for it.
  tsq := websearch_to_tsquery('english', term);
  execute format('select count(*) from (select 1 from public.shaders m where %s and m.search @@ $1 limit 24) c',
    filters) into hits using tsq;
  if hits < 24 then
    select f.query, f.correction into widened, corrected from public.search_fuzzy_query(term) f;
    tsq := tsq || widened;
  end if;

  -- With the cap of 4,001 and a prefix that matches ~9% of the catalog ("wal": walnut, wall),
  -- the planner expects a sequential scan to reach the cap soon and checks 44,000 rows (27 ms)
  -- instead of reading the ~9,000 matches from the full-text index (10 ms).
  perform set_config('enable_seqscan', 'off', true);
  -- One pass over the matches: filter, rank and count in the index scan's heap visit, sort
  -- narrow rows, read only the page in full. The cap keeps a one-word query that matches half
  -- the catalog as cheap as any other; its user refines rather than pages through 4,000. The
  -- 4,001st match only tells that there are more.
  return query execute format(
    'select s.id, s.slug, s.name, s.description, s.category_id, s.tags, s.is_free, s.preview_key,
            s.latest_version, s.popularity, s.created_at, least(p.total, 4000), p.total > 4000, $2
     from (select m.id, m.rank, m.popularity, m.created_at, m.name, count(*) over () as total
           from (select m.id, m.popularity, m.created_at, m.name, ts_rank(m.search, $1) as rank
                 from public.shaders m where %s and m.search @@ $1 limit 4001) m
           order by %s limit %s offset %s) p
     join public.shaders s on s.id = p.id
     order by %s', filters, ord, lim, off, replace(ord, 'm.', 'p.')) using tsq, corrected;
end
$$;
revoke execute on function public.search_shaders(text, text, text[], text, text, int, int) from public;
grant execute on function public.search_shaders(text, text, text[], text, text, int, int) to anon, authenticated;
