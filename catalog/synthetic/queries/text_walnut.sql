select * from public.search_shaders('walnut', null, null, 'all', 'relevance', 24, 0);
