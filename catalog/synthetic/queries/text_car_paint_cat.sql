select * from public.search_shaders('car paint', 'car-paint', null, 'all', 'relevance', 24, 0);
