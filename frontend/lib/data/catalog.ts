import "server-only";
import { cache } from "react";
import { createClient } from "@/lib/supabase/server";
import { searchArgs, type CatalogQuery } from "@/lib/catalog";

export type { ShaderSummary } from "@/lib/catalog";
import type { ShaderSummary } from "@/lib/catalog";

export type Category = { id: string; name: string; sort_order: number };

export const getCategories = cache(async (): Promise<Category[]> => {
  const supabase = await createClient();
  const { data, error } = await supabase.from("categories").select("id,name,sort_order").order("sort_order");
  if (error) throw new Error("categories: " + error.message);
  return (data ?? []) as Category[];
});

export async function searchShaders(
  query: CatalogQuery,
): Promise<{ rows: ShaderSummary[]; total: number; capped: boolean; corrected: string | null }> {
  const supabase = await createClient();
  const { data, error } = await supabase.rpc("search_shaders", searchArgs(query));
  if (error) throw new Error("search: " + error.message);
  const rows = (data ?? []) as ShaderSummary[];
  const first = rows[0];
  return {
    rows,
    total: Number(first?.total_count ?? 0),
    capped: first?.total_capped === true,
    corrected: first?.corrected_query ?? null,
  };
}

export type ShaderVersion = {
  id: string;
  version: string;
  size: number;
  sha256: string;
  min_blender: string | null;
  min_octane: string | null;
  texture_resolutions: string[];
  created_at: string;
};

export type ShaderDetail = ShaderSummary & { updated_at: string; shader_versions: ShaderVersion[] };

export const getShader = cache(async (slug: string): Promise<ShaderDetail | null> => {
  const supabase = await createClient();
  const { data, error } = await supabase
    .from("shaders")
    .select(
      "id,slug,name,description,category_id,tags,is_free,preview_key,latest_version,popularity,created_at,updated_at," +
        "shader_versions(id,version,size,sha256,min_blender,min_octane,texture_resolutions,created_at)",
    )
    .eq("slug", slug)
    .maybeSingle();
  if (error) throw new Error("shader: " + error.message);
  if (!data) return null;
  const d = data as unknown as ShaderDetail;
  d.shader_versions = [...(d.shader_versions ?? [])].sort((a, b) => b.created_at.localeCompare(a.created_at));
  return d;
});
