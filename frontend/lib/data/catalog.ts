import "server-only";
import { cache } from "react";
import { after } from "next/server";
import { createClient } from "@/lib/supabase/server";
import { searchArgs, type CatalogQuery, type ShaderSummary } from "@/lib/catalog";
import type { Tables } from "@/lib/database.types";

// The catalog as the anon (or signed-in) visitor sees it under RLS: categories, search, one shader.

export type { ShaderSummary } from "@/lib/catalog";
export type Category = Pick<Tables<"categories">, "id" | "name" | "sort_order">;

export const getCategories = cache(async (): Promise<Category[]> => {
  const supabase = await createClient();
  const { data, error } = await supabase.from("categories").select("id,name,sort_order").order("sort_order");
  if (error) throw new Error("categories: " + error.message);
  return data;
});

export type SearchResult = { rows: ShaderSummary[]; total: number; capped: boolean; corrected: string | null };

export async function searchShaders(query: CatalogQuery): Promise<SearchResult> {
  const supabase = await createClient();
  // A null argument is sent as an absent one: the SQL defaults are null, and the generated types
  // cannot say that an argument with a default accepts null.
  const { category, tag_filter, ...args } = searchArgs(query);
  const { data, error } = await supabase.rpc("search_shaders", { ...args, category: category ?? undefined, tag_filter: tag_filter ?? undefined });
  if (error) throw new Error("search: " + error.message);
  const rows: ShaderSummary[] = data ?? [];
  const first = rows[0];
  // A search that found nothing is counted for the operator's dashboard (RPC log_search_miss:
  // one row per day and query, nothing written for a hit), after the page has been sent.
  if (!first && args.q.trim() && args.page_offset === 0) {
    after(async () => {
      await supabase.rpc("log_search_miss", { p_query: args.q });
    });
  }
  return {
    rows,
    total: Number(first?.total_count ?? 0),
    capped: first?.total_capped === true,
    corrected: first?.corrected_query ?? null,
  };
}

export type ShaderVersion = Pick<
  Tables<"shader_versions">,
  "id" | "version" | "size" | "sha256" | "min_blender" | "min_octane" | "texture_resolutions" | "created_at"
> & { texture_sets: Pick<Tables<"texture_sets">, "resolution" | "size">[] };
export type ShaderDetail = ShaderSummary & { updated_at: string; shader_versions: ShaderVersion[] };

// One literal, so supabase-js types the result from it.
const SHADER_COLUMNS =
  "id,slug,name,description,category_id,tags,is_free,preview_key,latest_version,popularity,created_at,updated_at,shader_versions(id,version,size,sha256,min_blender,min_octane,texture_resolutions,created_at,texture_sets(resolution,size))";

/** One published shader by slug with its versions, newest first, each with its texture sets (package format v2); null when there is none. */
export const getShader = cache(async (slug: string): Promise<ShaderDetail | null> => {
  const supabase = await createClient();
  const { data, error } = await supabase.from("shaders").select(SHADER_COLUMNS).eq("slug", slug).maybeSingle();
  if (error) throw new Error("shader: " + error.message);
  if (!data) return null;
  return {
    ...data,
    shader_versions: [...(data.shader_versions ?? [])].sort((a, b) => b.created_at.localeCompare(a.created_at)),
  };
});
