select * from public.search_shaders('brushed steel', null, null, 'all', 'relevance', 24, 0);
