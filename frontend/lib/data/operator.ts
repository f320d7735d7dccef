import "server-only";
import { cache } from "react";
import { notFound, redirect } from "next/navigation";
import { createClient } from "@/lib/supabase/server";
import { loginRedirectPath } from "@/lib/routes";
import { currentUser, type User } from "@/lib/data/user";
import type { Database } from "@/lib/database.types";

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

/** The dashboard's windows, in days (the SQL functions take 1 to 366; a year of a million imports takes seconds: scripts/bench/analytics.sh). */
export const DASHBOARD_WINDOWS = [7, 30, 90] as const;
export type DashboardWindow = (typeof DASHBOARD_WINDOWS)[number];

export function dashboardWindow(v: string | string[] | undefined): DashboardWindow {
  const n = Number(typeof v === "string" ? v : NaN);
  return DASHBOARD_WINDOWS.find((w) => w === n) ?? 30;
}

type Rows<F extends keyof Functions> = Functions[F]["Returns"];
type Functions = Database["public"]["Functions"];

export type Dashboard = {
  days: DashboardWindow;
  perDay: Rows<"operator_imports_per_day">;
  perShader: Rows<"operator_imports_per_shader">;
  failures: Rows<"operator_failure_codes">;
  steps: Rows<"operator_step_timings">;
  devices: Rows<"operator_active_devices">;
  subscriptions: Rows<"operator_subscriptions">;
  searchMisses: Rows<"operator_search_misses">;
};

/**
 * The usage dashboard's numbers for the last `days` days: seven aggregations in SQL
 * (supabase/migrations/20261203000601_usage_analytics.sql), run side by side; each refuses anyone
 * but an operator session. Throws when one fails, so the page shows its error boundary.
 */
export async function getDashboard(days: DashboardWindow): Promise<Dashboard> {
  const supabase = await createClient();
  const p_days = days;
  const [perDay, perShader, failures, steps, devices, subscriptions, searchMisses] = await Promise.all([
    supabase.rpc("operator_imports_per_day", { p_days }),
    supabase.rpc("operator_imports_per_shader", { p_days, p_limit: 10 }),
    supabase.rpc("operator_failure_codes", { p_days }),
    supabase.rpc("operator_step_timings", { p_days }),
    supabase.rpc("operator_active_devices", { p_days }),
    supabase.rpc("operator_subscriptions", { p_days }),
    supabase.rpc("operator_search_misses", { p_days, p_limit: 20 }),
  ]);
  for (const r of [perDay, perShader, failures, steps, devices, subscriptions, searchMisses]) {
    if (r.error) throw new Error("dashboard: " + r.error.message);
  }
  return {
    days,
    perDay: perDay.data ?? [],
    perShader: perShader.data ?? [],
    failures: failures.data ?? [],
    steps: steps.data ?? [],
    devices: devices.data ?? [],
    subscriptions: subscriptions.data ?? [],
    searchMisses: searchMisses.data ?? [],
  };
}
