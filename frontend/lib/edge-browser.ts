import { createClient } from "@/lib/supabase/client";
import { env } from "@/lib/env";
import { edgeRequest, type EdgeBody, type EdgeOk, type EdgeOperation, type EdgeResult } from "@/lib/edge";
import { Code, webText } from "@/lib/codes";

// The browser's counterpart of lib/edge-server.ts, for the edge calls that must come from this
// browser: Import and Cancel (the clicks an artist waits on) and the /connect lookup (the edge compares
// addresses). The edge accepts only this site's origin (CORS) and verifies the token itself.

/**
 * Calls the edge's operation Op (its operationId) as the signed-in user with the session's access
 * token, typed from edge/openapi.yaml; AUTH_REQUIRED without a session.
 */
export async function edgeFromBrowser<Op extends EdgeOperation>(
  path: string,
  opts: { method?: "POST"; body?: EdgeBody<Op>; fetchImpl?: typeof fetch } = {},
): Promise<EdgeResult<EdgeOk<Op>>> {
  const { data } = await createClient().auth.getSession();
  const token = data.session?.access_token;
  if (!token) return { ok: false, status: 401, error: { code: Code.AUTH_REQUIRED, message: webText(Code.AUTH_REQUIRED)! } };
  // "default", not "no-store": Chromium skips its CORS preflight cache (the edge's
  // Access-Control-Max-Age) for a no-store fetch, which cost every Import click a preflight round
  // trip. Nothing is cached instead: the edge answers Cache-Control: no-store, and POSTs are never cached.
  return edgeRequest<EdgeOk<Op>>(env.edgeUrl, path, { ...opts, token, cache: "default" });
}
