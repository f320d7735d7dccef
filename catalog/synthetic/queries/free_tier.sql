select * from public.search_shaders('', null, null, 'free', 'popular', 24, 0);
