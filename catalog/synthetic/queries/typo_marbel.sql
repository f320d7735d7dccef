select * from public.search_shaders('marbel', null, null, 'all', 'relevance', 24, 0);
