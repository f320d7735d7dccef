import type { NextRequest } from "next/server";
import { updateSession } from "@/lib/supabase/proxy";
import { contentSecurityPolicy, env } from "@/lib/env";

/** A fresh, unguessable nonce per request (128 random bits, base64). */
function newNonce(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b));
}

// Every page is rendered per request (the root layout reads cookies), so each gets its own nonce:
// Next reads it from the request's Content-Security-Policy header and puts it on its scripts.
export async function proxy(request: NextRequest) {
  const nonce = newNonce();
  const csp = contentSecurityPolicy(env, process.env.NODE_ENV !== "production", nonce);
  request.headers.set("x-nonce", nonce);
  request.headers.set("Content-Security-Policy", csp);
  const response = await updateSession(request);
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico|previews/|addon/|\\.well-known/|.*\\.(?:svg|png|jpg|jpeg|gif|webp|zip|json)$).*)"],
};
