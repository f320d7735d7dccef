import "server-only";
import { cache } from "react";
import { createClient } from "@/lib/supabase/server";
import type { Tables } from "@/lib/database.types";
import { IMPORT_COLUMNS, type Blender, type Device, type ImportRow } from "@/lib/import-status";
import { edgeAsUser } from "@/lib/edge-server";
import type { EdgeSchema } from "@/lib/edge";

// The signed-in user's own rows (RLS lets each user read only theirs) and their entitlement.
// Every function here reads as the request's user; with no session they return nothing.

export type Entitlement = { subscribed: boolean; status: string | null; current_period_end: string | null };

/** The caller's subscription word and period end (RPC my_entitlement), or null without one. */
export const getEntitlement = cache(async (): Promise<Entitlement | null> => {
  const supabase = await createClient();
  const { data } = await supabase.rpc("my_entitlement").maybeSingle();
  return data ?? null;
});

export type Price = Pick<Tables<"prices">, "id" | "currency" | "unit_amount" | "interval" | "interval_count"> & {
  products: Pick<Tables<"products">, "name" | "description"> | null;
};

/** The active prices with their product, cheapest first (Subscribe buttons). */
export async function getPrices(): Promise<Price[]> {
  const supabase = await createClient();
  const { data } = await supabase
    .from("prices")
    .select("id,currency,unit_amount,interval,interval_count,products(name,description)")
    .eq("active", true)
    .order("unit_amount");
  return data ?? [];
}

const DEVICE_COLUMNS = "id,name,platform,os,last_seen_at,revoked_at";

/** The user's devices that are not revoked, newest first. */
export const getDevices = cache(async (): Promise<Device[]> => {
  const supabase = await createClient();
  const { data } = await supabase
    .from("devices")
    .select(DEVICE_COLUMNS)
    .is("revoked_at", null)
    .order("created_at", { ascending: false });
  return data ?? [];
});

export type Settings = EdgeSchema<"Settings">;

/**
 * The user's settings as the edge answers them (GET /v1/settings: the defaults until first saved,
 * which only the edge knows), or null when the edge cannot be reached.
 */
export const getSettings = cache(async (): Promise<Settings | null> => {
  const res = await edgeAsUser<"getSettings">("/v1/settings");
  return res.ok ? res.data : null;
});

/** The Blenders running (or seen within the last day) on the user's devices, for the import picker. */
export const getBlenders = cache(async (): Promise<Blender[]> => {
  const supabase = await createClient();
  const { data } = await supabase
    .from("device_instances")
    .select("id,device_id,blend_file,blender_version,last_seen_at,stopped_at")
    .gt("last_seen_at", new Date(Date.now() - 86_400_000).toISOString())
    .order("last_seen_at", { ascending: false })
    .limit(50);
  return data ?? [];
});

export type ApiKeyRow = Pick<
  Tables<"api_keys">,
  "id" | "name" | "prefix" | "scopes" | "platform" | "device_id" | "created_at" | "last_used_at" | "expires_at" | "revoked_at"
>;

/** The user's API keys (prefix only: the secret is never stored), newest first. */
export async function getApiKeys(): Promise<ApiKeyRow[]> {
  const supabase = await createClient();
  const { data } = await supabase
    .from("api_keys")
    .select("id,name,prefix,scopes,platform,device_id,created_at,last_used_at,expires_at,revoked_at")
    .order("created_at", { ascending: false });
  return data ?? [];
}

export type ShaderRef = Pick<Tables<"shaders">, "name" | "slug">;
export type HistoryRow = ImportRow & Pick<Tables<"imports">, "created_at" | "version" | "resolution"> & { shader?: ShaderRef | null };

/** The user's last 25 imports with their shader's name and slug and the resolution asked for, newest first. */
export async function getImportHistory(): Promise<HistoryRow[]> {
  const supabase = await createClient();
  const { data } = await supabase
    .from("imports")
    .select(`${IMPORT_COLUMNS}, version, resolution, created_at, shaders(name,slug)`)
    .order("created_at", { ascending: false })
    .limit(25);
  return (data ?? []).map(({ shaders, ...row }) => ({ ...row, shader: shaders }));
}

export type Favorite = Pick<Tables<"favorites">, "shader_id"> & { shaders: (ShaderRef & Pick<Tables<"shaders">, "is_free">) | null };

/** The user's favourite shaders, most recently added first. */
export async function getFavorites(): Promise<Favorite[]> {
  const supabase = await createClient();
  const { data } = await supabase
    .from("favorites")
    .select("shader_id,shaders(name,slug,is_free)")
    .order("created_at", { ascending: false });
  return data ?? [];
}

/** Whether the user has favourited this shader. */
export async function isFavorite(shaderId: string): Promise<boolean> {
  const supabase = await createClient();
  const { data } = await supabase.from("favorites").select("shader_id").eq("shader_id", shaderId).maybeSingle();
  return Boolean(data);
}
