select * from public.search_shaders('', null, array['wood','planks'], 'all', 'popular', 24, 0);
