-- Synthetic catalog for benchmarks: :count shaders (psql -v count=100000) with realistic names,
-- tags, categories, tiers, popularity and ages. Deterministic (setseed). Run on a scratch clone of
-- the template database, never on a real one.
\set ON_ERROR_STOP on
select setseed(0.4242);

create temp table syn_adj (idx int primary key, adj text, tag text);
insert into syn_adj
select row_number() over (), a, lower(a) from unnest(array[
  'Brushed','Polished','Weathered','Aged','Satin','Matte','Glossy','Rough','Smooth','Hammered',
  'Oxidized','Frosted','Tinted','Sandblasted','Lacquered','Varnished','Worn','Scratched','Dusty','Wet',
  'Mossy','Cracked','Painted','Anodized','Galvanized','Rusty','Charred','Bleached','Stained','Pearlescent',
  'Iridescent','Metallic','Vintage','Industrial','Rustic','Nordic','Tropical','Desert','Arctic','Handmade']) a;

create temp table syn_noun (idx int primary key, noun text, category text, tags text[]);
insert into syn_noun
select row_number() over (), n, c, t::text[] from (values
  ('Steel','metal','{metal,steel}'), ('Aluminium','metal','{metal,aluminium}'), ('Copper','metal','{metal,copper}'),
  ('Brass','metal','{metal,brass}'), ('Gold','metal','{metal,gold,jewelry}'), ('Silver','metal','{metal,silver,jewelry}'),
  ('Iron','metal','{metal,iron}'), ('Titanium','metal','{metal,titanium}'), ('Chrome','metal','{metal,chrome,mirror}'),
  ('Bronze','metal','{metal,bronze}'), ('ABS Plastic','plastic','{plastic,abs}'), ('Acrylic','plastic','{plastic,acrylic}'),
  ('Rubber','plastic','{rubber}'), ('Vinyl','plastic','{plastic,vinyl}'), ('Carbon Fibre','plastic','{carbon,composite}'),
  ('Nylon','plastic','{plastic,nylon}'), ('Glass','glass','{glass}'), ('Crystal','glass','{glass,crystal,gem}'),
  ('Water','glass','{liquid,water}'), ('Honey','glass','{liquid,food}'), ('Sapphire','glass','{gem,blue}'),
  ('Oak','wood','{wood,oak}'), ('Walnut','wood','{wood,walnut}'), ('Pine','wood','{wood,pine}'),
  ('Maple','wood','{wood,maple}'), ('Teak','wood','{wood,teak}'), ('Plywood','wood','{wood,plywood}'),
  ('Bamboo','wood','{wood,bamboo}'), ('Marble','stone','{stone,marble}'), ('Granite','stone','{stone,granite}'),
  ('Concrete','stone','{concrete,architecture}'), ('Brick','stone','{brick,wall}'), ('Slate','stone','{stone,slate}'),
  ('Limestone','stone','{stone,limestone}'), ('Terrazzo','stone','{stone,terrazzo,floor}'), ('Sandstone','stone','{stone,sandstone}'),
  ('Velvet','fabric','{fabric,velvet}'), ('Denim','fabric','{fabric,denim}'), ('Linen','fabric','{fabric,linen}'),
  ('Leather','fabric','{leather}'), ('Wool','fabric','{fabric,wool}'), ('Silk','fabric','{fabric,silk}'),
  ('Canvas','fabric','{fabric,canvas}'), ('Car Paint','car-paint','{car,paint}'), ('Flake Paint','car-paint','{car,paint,metallic}'),
  ('Vinyl Wrap','car-paint','{car,wrap}'), ('Neon','emissive','{emissive,neon,light}'), ('LED Panel','emissive','{emissive,light,panel}'),
  ('Lava','emissive','{emissive,lava}'), ('Porcelain','ceramic','{ceramic,porcelain}'), ('Terracotta','ceramic','{ceramic,clay}'),
  ('Glazed Tile','ceramic','{ceramic,tiles}'), ('Stoneware','ceramic','{ceramic}'), ('Skin','organic','{organic,skin,subsurface}'),
  ('Wax','organic','{organic,wax,subsurface}'), ('Bark','organic','{organic,bark,nature}'), ('Moss','ground','{ground,moss,nature}'),
  ('Gravel','ground','{ground,gravel}'), ('Sand','ground','{ground,sand}'), ('Soil','ground','{ground,soil}'),
  ('Hologram','fx','{fx,hologram,sci-fi}'), ('Toon','fx','{fx,toon,stylized}')
) v(n, c, t);

create temp table syn_variant (idx int primary key, variant text, tag text);
insert into syn_variant
select row_number() over (), v, t from (values
  (null, null), (null, null), (null, null), ('Tiles','tiles'), ('Panel','panel'), ('Planks','planks'), ('Sheet','sheet'),
  ('Floor','floor'), ('Wall','wall'), ('Trim','trim'), ('Mosaic','mosaic'), ('Herringbone','herringbone'),
  ('Pattern','pattern'), ('Plate','plate'), ('Weave','weave'), ('Grid','grid')) v(v, t);

insert into public.shaders (slug, name, description, category_id, tags, is_free, published, preview_key,
                            latest_version, popularity, created_at)
select
  left(lower(regexp_replace(a.adj || '-' || n.noun || coalesce('-' || v.variant, ''), '[^A-Za-z0-9]+', '-', 'g')), 50)
    || '-' || r.g,
  a.adj || ' ' || n.noun || coalesce(' ' || v.variant, '') || case when r.g % 7 = 0 then ' No. ' || (r.g % 97) else '' end,
  format('%s %s%s for OctaneRender with a Principled fallback. %s finish, %s texture set, real-world scale.',
         a.adj, lower(n.noun), coalesce(' ' || lower(v.variant), ''),
         (array['Physically based','Studio-tested','Production-ready','Scanned','Procedural'])[1 + r.g % 5],
         (array['1k','2k','4k','1k/2k/4k'])[1 + r.g % 4]),
  n.category,
  (array_remove(n.tags || array[a.tag, v.tag], null))[1:6], -- array[null] is {NULL}, not null
  r.free_roll < 0.1,
  r.pub_roll < 0.97,
  'previews/synthetic/' || n.category || '.webp',
  '1.' || (r.g % 4) || '.0',
  floor(10000 * power(r.pop_roll, 4))::int,
  now() - r.age_roll * interval '1000 days'
from (
  select g, 1 + floor(random() * (select count(*) from syn_adj))::int as ai,
         1 + floor(random() * (select count(*) from syn_noun))::int as ni,
         1 + floor(random() * (select count(*) from syn_variant))::int as vi, random() as free_roll, random() as pub_roll,
         random() as pop_roll, random() as age_roll
  from generate_series(1, :count) g
) r
join syn_adj a on a.idx = r.ai
join syn_noun n on n.idx = r.ni
join syn_variant v on v.idx = r.vi;

analyze public.shaders;
select count(*) as synthetic_shaders from public.shaders;
