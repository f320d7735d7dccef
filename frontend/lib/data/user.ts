import "server-only";
import { cache } from "react";
import { createClient } from "@/lib/supabase/server";

export type User = { id: string; email: string };

/** The signed-in user's id and e-mail from verified claims (getClaims), or null; once per request. */
export const currentUser = cache(async (): Promise<User | null> => {
  const supabase = await createClient();
  const { data } = await supabase.auth.getClaims();
  const c = data?.claims;
  if (!c?.sub) return null;
  return { id: c.sub, email: typeof c.email === "string" ? c.email : "" };
});
