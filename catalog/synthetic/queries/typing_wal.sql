select * from public.search_shaders('wal', null, null, 'all', 'relevance', 24, 0);
