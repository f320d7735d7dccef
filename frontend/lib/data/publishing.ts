import "server-only";
import { createClient } from "@/lib/supabase/server";
import type { Tables } from "@/lib/database.types";

// The operator's publishing page: the whole catalog (listed or not) and the recent publish jobs.
// Both are guarded in SQL (operator_catalog and the publish_jobs policy call is_operator()).

export type CatalogShader = { slug: string; name: string; published: boolean; is_free: boolean; latest_version: string | null; versions: string[] };

/** Every shader with its versions, newest change first (RPC operator_catalog). */
export async function getOperatorCatalog(): Promise<CatalogShader[]> {
  const supabase = await createClient();
  const { data } = await supabase.rpc("operator_catalog");
  return data ?? [];
}

export const PUBLISH_JOB_COLUMNS = "id,file_name,size,new_version_of,status,step,log,error_code,shader_slug,version,created_at,finished_at";
export type PublishJob = Pick<Tables<"publish_jobs">,
  "id" | "file_name" | "size" | "new_version_of" | "status" | "step" | "log" | "error_code" | "shader_slug" | "version" | "created_at" | "finished_at">;

/** The last publish jobs, newest first. */
export async function getRecentPublishJobs(limit = 10): Promise<PublishJob[]> {
  const supabase = await createClient();
  const { data } = await supabase.from("publish_jobs").select(PUBLISH_JOB_COLUMNS).order("created_at", { ascending: false }).limit(limit);
  return data ?? [];
}
