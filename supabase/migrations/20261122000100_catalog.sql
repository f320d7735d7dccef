-- Catalog: profiles, categories, shaders, immutable shader versions, favourites, and search.

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

create function public.handle_new_user() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.profiles (id, display_name)
  values (new.id, coalesce(new.raw_user_meta_data ->> 'display_name', split_part(new.email, '@', 1)))
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
create policy "Users can add their own favourites" on public.favorites
  for insert to authenticated with check (user_id = auth.uid());
create policy "Users can remove their own favourites" on public.favorites
  for delete to authenticated using (user_id = auth.uid());

-- search --------------------------------------------------------------------------------------
-- One function serves the site's browse page: full-text search with a trigram fallback for
-- typos and prefixes, filters, sorts and keyset-free pagination (offset is bounded by the UI).
create function public.search_shaders(
  q text default '',
  category text default null,
  tag_filter text[] default null,
  tier text default 'all',          -- all | free | pro
  sort text default 'popular',      -- popular | newest | name | relevance
  page_size int default 24,
  page_offset int default 0
) returns table (
  id uuid, slug text, name text, description text, category_id text, tags text[],
  is_free boolean, preview_key text, latest_version text, popularity int,
  created_at timestamptz, total_count bigint
)
language sql stable
set search_path = ''
as $$
  with params as (
    select nullif(btrim(coalesce(q, '')), '') as term,
           case when nullif(btrim(coalesce(q, '')), '') is null then null
                else websearch_to_tsquery('english', q) end as tsq
  ),
  matches as (
    select s.*,
           case when p.term is null then 0
                else ts_rank(s.search, p.tsq) + extensions.similarity(s.name, p.term) end as rank
    from public.shaders s, params p
    where s.published
      and (p.term is null
           or s.search @@ p.tsq
           or s.name operator(extensions.%) p.term
           or s.name ilike '%' || replace(replace(p.term, '%', '\%'), '_', '\_') || '%')
      and (category is null or s.category_id = category)
      and (tag_filter is null or s.tags @> tag_filter)
      and (coalesce(tier, 'all') = 'all'
           or (tier = 'free' and s.is_free)
           or (tier = 'pro' and not s.is_free))
  )
  select m.id, m.slug, m.name, m.description, m.category_id, m.tags, m.is_free, m.preview_key,
         m.latest_version, m.popularity, m.created_at, count(*) over () as total_count
  from matches m
  order by
    case when sort = 'relevance' then m.rank end desc nulls last,
    case when sort = 'popular' then m.popularity end desc nulls last,
    case when sort = 'newest' then m.created_at end desc nulls last,
    case when sort = 'name' then m.name end asc nulls last,
    m.id
  limit least(greatest(coalesce(page_size, 24), 1), 100)
  offset least(greatest(coalesce(page_offset, 0), 0), 10000)
$$;
