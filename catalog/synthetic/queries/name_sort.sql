select * from public.search_shaders('', 'fabric', null, 'pro', 'name', 24, 24);
