import "server-only";
import { createClient } from "@/lib/supabase/server";
import type { Database } from "@/lib/database.types";

type Functions = Database["public"]["Functions"];
export type MyNumbers = {
  perMonth: Functions["my_imports_per_month"]["Returns"];
  topShaders: Functions["my_top_shaders"]["Returns"];
};

/** The signed-in artist's imports per month (last 12) and most used shaders (RLS: their own rows only). */
export async function getMyNumbers(): Promise<MyNumbers> {
  const supabase = await createClient();
  const [perMonth, topShaders] = await Promise.all([
    supabase.rpc("my_imports_per_month", { p_months: 12 }),
    supabase.rpc("my_top_shaders", { p_limit: 5 }),
  ]);
  return { perMonth: perMonth.data ?? [], topShaders: topShaders.data ?? [] };
}
