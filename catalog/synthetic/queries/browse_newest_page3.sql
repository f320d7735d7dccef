select * from public.search_shaders('', null, null, 'all', 'newest', 24, 48);
