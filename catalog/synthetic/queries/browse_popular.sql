select * from public.search_shaders('', null, null, 'all', 'popular', 24, 0);
