import "server-only";
import { cache } from "react";
import { createClient } from "@/lib/supabase/server";
import type { Tables } from "@/lib/database.types";

export type Plan = Pick<Tables<"subscriptions">, "status" | "cancel_at_period_end" | "current_period_end">;

/**
 * The caller's latest subscription to the library's plan (RLS: their own rows), for what the
 * entitlement RPC does not say: whether it is set to end at the period's end.
 */
export const getPlan = cache(async (): Promise<Plan | null> => {
  const supabase = await createClient();
  const { data } = await supabase
    .from("subscriptions")
    .select("status,cancel_at_period_end,current_period_end,prices!inner(products!inner(entitles))")
    .eq("prices.products.entitles", true)
    .order("updated_at", { ascending: false })
    .limit(1)
    .maybeSingle();
  return data ? { status: data.status, cancel_at_period_end: data.cancel_at_period_end, current_period_end: data.current_period_end } : null;
});
