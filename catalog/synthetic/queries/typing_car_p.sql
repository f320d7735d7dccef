select * from public.search_shaders('car p', null, null, 'all', 'relevance', 24, 0);
