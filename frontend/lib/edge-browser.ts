import { createClient } from "@/lib/supabase/client";
import { env } from "@/lib/env";
import { edgeRequest, type EdgeResult } from "@/lib/edge";
import { Code, webText } from "@/lib/codes";

// The browser's counterpart of lib/edge-server.ts, for the edge calls that must come from this
// browser: Import (the click an artist waits on) and the /connect lookup (the edge compares
// addresses). The edge accepts only this site's origin (CORS) and verifies the token itself.

/** Calls the edge as the signed-in user with the session's access token; AUTH_REQUIRED without one. */
export async function edgeFromBrowser<T>(
  path: string,
  opts: { body?: unknown; fetchImpl?: typeof fetch } = {},
): Promise<EdgeResult<T>> {
  const { data } = await createClient().auth.getSession();
  const token = data.session?.access_token;
  if (!token) return { ok: false, status: 401, error: { code: Code.AUTH_REQUIRED, message: webText(Code.AUTH_REQUIRED)! } };
  return edgeRequest<T>(env.edgeUrl, path, { ...opts, token });
}
