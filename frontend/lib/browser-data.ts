// The browser's one door to Supabase data (docs/frontend.md "Data access"): the live user channel,
// re-reading a running import, favourites, and following a publish job (operators). Pages read
// through lib/data/ on the server; client components that need live data come here. RLS limits
// every call to the signed-in user's rows (publish jobs: to operators).
import { createClient } from "@/lib/supabase/client";
import { IMPORT_COLUMNS, type ImportRow } from "@/lib/import-status";
import { Code } from "@/lib/codes";

/** What the triggers broadcast on user:<uid> (supabase/migrations, the realtime migration). */
export type UserEventPayloads = {
  import_status: ImportRow & Partial<{ created_at: string; version: string; resolution: string | null }>;
  // With instance_id: one Blender of the machine (instance_heartbeat), named by its open file.
  device_status: { device_id: string; online: boolean; last_seen_at: string | null } &
    Partial<{ instance_id: string; blend_file: string; blender_version: string }>;
  subscription: { status: string };
  // An endpoint turned off after failing for a day (webhook_record): the account page re-reads it.
  webhook_disabled: { endpoint_id: string; url: string; disabled_reason: string; disabled_at: string };
};
export type UserEvent = keyof UserEventPayloads;
export const userEvents: readonly UserEvent[] = ["import_status", "device_status", "subscription", "webhook_disabled"];
export type ChannelState = "connecting" | "live" | "offline";

/**
 * Joins the private Realtime topic user:<uid> and hands each broadcast to `dispatch`.
 * Returns the function that leaves it.
 */
export function openUserChannel(
  userId: string,
  dispatch: <E extends UserEvent>(event: E, payload: UserEventPayloads[E]) => void,
  onState: (state: ChannelState) => void,
): () => void {
  const supabase = createClient();
  let cancelled = false;
  let channel: ReturnType<typeof supabase.channel> | null = null;
  (async () => {
    await supabase.realtime.setAuth();
    if (cancelled) return;
    const ch = supabase.channel(`user:${userId}`, { config: { private: true } });
    channel = ch;
    for (const ev of userEvents) {
      // The payload's shape is the trigger's (a database contract), not checked again here.
      ch.on("broadcast", { event: ev }, (m: { payload: UserEventPayloads[typeof ev] }) => dispatch(ev, m.payload));
    }
    ch.subscribe((status) => {
      if (status === "SUBSCRIBED") onState("live");
      else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT" || status === "CLOSED") onState("offline");
    });
  })().catch(() => onState("offline"));
  return () => {
    cancelled = true;
    if (channel) void supabase.removeChannel(channel);
  };
}

/** The import's row as it is now, or null (a broadcast can be lost; the panel re-reads). */
export async function readImport(id: string): Promise<ImportRow | null> {
  const { data } = await createClient().from("imports").select(IMPORT_COLUMNS).eq("id", id).maybeSingle();
  return data ?? null;
}

/** A line of a publish job's log; a problem line carries its code of schemas/codes.json. */
export type PublishJobLine = { at: string; problem: boolean; text: string; code?: string };
export type PublishJobState = {
  id: string; status: string; step: string; log: PublishJobLine[]; error_code: string | null;
  shader_slug: string | null; version: string | null;
};

/**
 * Queues the publish job of an uploaded package (RPC request_publish; SQL checks the operator);
 * newVersionOf names the shader the package must be a new version of. The job's id, or the code.
 */
export async function requestPublish(uploadKey: string, fileName: string, size: number, newVersionOf: string | null): Promise<{ id: string } | { error: string }> {
  const { data, error } = await createClient().rpc("request_publish", {
    p_upload_key: uploadKey, p_file_name: fileName, p_size: size, p_new_version_of: newVersionOf ?? undefined,
  });
  return data ? { id: data.id } : { error: error?.message ?? Code.INTERNAL_ERROR };
}

/** Hides a shader from the catalog or shows it again (RPC set_shader_published; operators). Null, or the code. */
export async function setShaderPublished(slug: string, published: boolean): Promise<string | null> {
  const { error } = await createClient().rpc("set_shader_published", { p_slug: slug, p_published: published });
  return error ? error.message : null;
}

/** A publish job as it is now (the operator's page polls it while the worker runs; RLS: operators). */
export async function readPublishJob(id: string): Promise<PublishJobState | null> {
  const { data } = await createClient().from("publish_jobs").select("id,status,step,log,error_code,shader_slug,version").eq("id", id).maybeSingle();
  return data ? { ...data, log: (data.log ?? []) as PublishJobLine[] } : null;
}

/** Adds or removes a favourite; true when the row is now as asked (a duplicate add counts). */
export async function setFavorite(shaderId: string, on: boolean): Promise<boolean> {
  const supabase = createClient();
  const { error } = on
    ? await supabase.from("favorites").insert({ shader_id: shaderId })
    : await supabase.from("favorites").delete().eq("shader_id", shaderId);
  return !error || (on && error.code === "23505");
}
