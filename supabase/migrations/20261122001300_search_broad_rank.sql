-- Broad searches spent most of their time in word_similarity over thousands of candidates
-- (search bench: "car paint" p95 53 ms against a 25 ms target). Above 400 candidates the name
-- part of the rank is "the name contains the term" instead; below, word similarity as before.

create or replace function public.search_shaders(
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
  created_at timestamptz, total_count bigint
)
language plpgsql stable security definer
set search_path = ''
set pg_trgm.word_similarity_threshold = 0.5
as $$
declare
  term text := nullif(btrim(coalesce(q, '')), '');
  lim int := least(greatest(coalesce(page_size, 24), 1), 100);
  off int := least(greatest(coalesce(page_offset, 0), 0), 10000);
  filters text := 'm.published';
  cand uuid[];
  ord text;
  name_rank text;
  pat text := '%' || replace(replace(replace(term, '\', '\\'), '%', '\%'), '_', '\_') || '%'; -- term as a literal ILIKE substring
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

  if term is not null then
    -- Full-text and substring matches, each from its index, collected as an id array and
    -- fetched by primary key; trigram word similarity (typos) only when those fill less than a page,
    -- because it rechecks every row it touches.
    -- Each source is capped: a query that matches thousands of shaders is refined by the
    -- user, not paged through, and ranking all of them would cost every other query its speed.
    cand := array(
      (select x.id from public.shaders x where x.search @@ websearch_to_tsquery('english', term) limit 2000)
      union
      (select x.id from public.shaders x
       where x.name ilike pat limit 2000));
    if cardinality(cand) < lim then
      cand := array(
        select unnest(cand)
        union
        select x.id from public.shaders x where term operator(extensions.<%) x.name);
    end if;
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
              m.latest_version, m.popularity, m.created_at, $1
       from public.shaders m where %s order by %s limit %s offset %s',
      filters, ord, lim, off) using total;
  else
    -- Searching: one pass over the candidates (ids passed as a parameter, not as SQL text).
    -- The name part of the rank is word similarity, which builds the trigrams of every name it
    -- looks at: affordable for a few hundred candidates, most of the time of a broad query
    -- ("car paint": ~2,600 candidates) beyond. There a name that contains the term scores 1,
    -- which is what word similarity gives such names; only partial and typo matches lose
    -- their fractional credit, and broad queries have plenty of full matches.
    name_rank := case when cardinality(cand) <= 400
      then 'extensions.word_similarity($1, m.name)'
      else '(m.name ilike $3)::int' end;
    -- Ranked and sorted on narrow rows (no description); only the page is read in full.
    return query execute format(
      'select s.id, s.slug, s.name, s.description, s.category_id, s.tags, s.is_free, s.preview_key,
              s.latest_version, s.popularity, s.created_at, p.total
       from (select m.id, m.rank, m.popularity, m.created_at, m.name, count(*) over () as total
             from (select m.id, m.popularity, m.created_at, m.name,
                          (ts_rank(m.search, websearch_to_tsquery(''english'', $1)) + %s)::real as rank
                   from public.shaders m where %s and m.id = any ($2)) m
             order by %s limit %s offset %s) p
       join public.shaders s on s.id = p.id
       order by %s', name_rank, filters, ord, lim, off, replace(ord, 'm.', 'p.')) using term, cand, pat;
  end if;
end
$$;
revoke execute on function public.search_shaders(text, text, text[], text, text, int, int) from public;
grant execute on function public.search_shaders(text, text, text[], text, text, int, int) to anon, authenticated;
