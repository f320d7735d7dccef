import "server-only";
import { createClient } from "@/lib/supabase/server";
import { env } from "@/lib/env";
import { edgeRequest, type EdgeResult } from "@/lib/edge";
import { Code, webText } from "@/lib/codes";

/** Calls the edge as the signed-in user (their Supabase access token; the edge verifies it). */
export async function edgeAsUser<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<EdgeResult<T>> {
  const supabase = await createClient();
  const { data: claims } = await supabase.auth.getClaims();
  const { data } = await supabase.auth.getSession();
  const token = data.session?.access_token;
  if (!claims?.claims?.sub || !token) {
    return { ok: false, status: 401, error: { code: Code.AUTH_REQUIRED, message: webText(Code.AUTH_REQUIRED)! } };
  }
  return edgeRequest<T>(env.edgeUrl, path, { ...opts, token });
}
