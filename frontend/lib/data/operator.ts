import "server-only";
import { cache } from "react";
import { notFound, redirect } from "next/navigation";
import { createClient } from "@/lib/supabase/server";
import { loginRedirectPath } from "@/lib/routes";
import { currentUser, type User } from "@/lib/data/user";

/** Whether the signed-in user is the library operator (RPC is_operator: public.operators, never metadata). */
export const isOperator = cache(async (): Promise<boolean> => {
  if (!(await currentUser())) return false;
  const supabase = await createClient();
  const { data } = await supabase.rpc("is_operator");
  return data === true;
});

/**
 * The guard of every /operator page: signed out → the login page, signed in but no operator → 404
 * (the pages do not exist for anyone else). Call it at the top of each page as well as in the
 * layout: a layout is not re-rendered for every request of its pages. The data behind the pages is
 * guarded again in SQL (is_operator() in each operator function).
 */
export async function requireOperator(path: string): Promise<User> {
  const user = await currentUser();
  if (!user) redirect(loginRedirectPath(path));
  if (!(await isOperator())) notFound();
  return user;
}
