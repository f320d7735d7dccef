import "server-only";
import { createClient } from "@/lib/supabase/server";
import { env } from "@/lib/env";
import { edgeRequest, type EdgeBody, type EdgeOk, type EdgeOperation, type EdgeResult } from "@/lib/edge";
import { Code, webText } from "@/lib/codes";

/**
 * Calls the edge's operation Op (its operationId in edge/openapi.yaml) as the signed-in user (their
 * Supabase access token; the edge verifies it): the body and the answer are typed from the spec.
 */
export async function edgeAsUser<Op extends EdgeOperation>(
  path: string,
  opts: { method?: string; body?: EdgeBody<Op> } = {},
): Promise<EdgeResult<EdgeOk<Op>>> {
  const supabase = await createClient();
  const { data: claims } = await supabase.auth.getClaims();
  const { data } = await supabase.auth.getSession();
  const token = data.session?.access_token;
  if (!claims?.claims?.sub || !token) {
    return { ok: false, status: 401, error: { code: Code.AUTH_REQUIRED, message: webText(Code.AUTH_REQUIRED)! } };
  }
  return edgeRequest<EdgeOk<Op>>(env.edgeUrl, path, { ...opts, token });
}
