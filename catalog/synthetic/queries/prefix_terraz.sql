select * from public.search_shaders('terraz', null, null, 'all', 'relevance', 24, 0);
