select * from public.search_shaders('', 'metal', null, 'all', 'popular', 24, 0);
