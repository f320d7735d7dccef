"use server";

import { redirect } from "next/navigation";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { edgeAsUser } from "@/lib/edge-server";
import { edgeMessage, type EdgeBody } from "@/lib/edge";
import { personalScopeNames } from "@/lib/api-key-scopes";
import { SAVED_RESOLUTIONS, isSavedResolution, resolutionLabel } from "@/lib/resolutions";

export type ActionState = { error?: string; ok?: string; secret?: string } | undefined;

const priceId = z.string().min(1).max(255);

export async function startCheckout(formData: FormData): Promise<void> {
  const parsed = priceId.safeParse(formData.get("price_id"));
  if (!parsed.success) redirect("/account?billing=invalid");
  const res = await edgeAsUser<"billingCheckout">("/v1/billing/checkout", { body: { price_id: parsed.data } });
  if (!res.ok) redirect("/account?billing_error=" + encodeURIComponent(edgeMessage(res.error)));
  redirect(res.data.url);
}

export async function openPortal(): Promise<void> {
  const res = await edgeAsUser<"billingPortal">("/v1/billing/portal", { method: "POST" });
  if (!res.ok) redirect("/account?billing_error=" + encodeURIComponent(edgeMessage(res.error)));
  redirect(res.data.url);
}

const uuid = z.uuid();
const deviceName = z.string().trim().min(1, "Enter a name.").max(80, "80 characters at most.");

export async function renameDevice(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const id = uuid.safeParse(formData.get("device_id"));
  const name = deviceName.safeParse(formData.get("name"));
  if (!id.success) return { error: "Unknown device." };
  if (!name.success) return { error: name.error.issues[0]?.message ?? "Invalid name." };
  const res = await edgeAsUser<"renameDevice">(`/v1/devices/${id.data}`, { method: "PATCH", body: { name: name.data } });
  if (!res.ok) return { error: edgeMessage(res.error) };
  revalidatePath("/account");
  return { ok: "Renamed." };
}

export async function revokeDevice(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const id = uuid.safeParse(formData.get("device_id"));
  if (!id.success) return { error: "Unknown device." };
  const res = await edgeAsUser<"revokeDevice">(`/v1/devices/${id.data}`, { method: "DELETE" });
  if (!res.ok) return { error: edgeMessage(res.error) };
  revalidatePath("/account");
  return { ok: "Revoked. That Blender must be connected again to import." };
}

const keyName = z.string().trim().min(1, "Name the key (e.g. “render farm script”).").max(80);
const keyScopes = z.array(z.enum(personalScopeNames)).min(1, "Choose at least one permission.");

export async function createApiKey(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const name = keyName.safeParse(formData.get("name"));
  const scopes = keyScopes.safeParse(formData.getAll("scopes"));
  if (!name.success) return { error: name.error.issues[0]?.message };
  if (!scopes.success) return { error: scopes.error.issues[0]?.message };
  const res = await edgeAsUser<"createAPIKey">("/v1/api-keys", {
    body: { name: name.data, scopes: scopes.data },
  });
  if (!res.ok) return { error: edgeMessage(res.error) };
  const secret = res.data.api_key;
  revalidatePath("/account");
  return { ok: "Key created. Copy it now: it will not be shown again.", secret };
}

const keyId = z.string().regex(/^[a-z0-9]{12,32}$/);

export async function revokeApiKey(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const id = keyId.safeParse(formData.get("key_id"));
  if (!id.success) return { error: "Unknown key." };
  const res = await edgeAsUser<"revokeAPIKey">(`/v1/api-keys/${id.data}`, { method: "DELETE" });
  if (!res.ok) return { error: edgeMessage(res.error) };
  revalidatePath("/account");
  return { ok: "Key revoked." };
}

export type SettingsState = { error?: string; ok?: string; at?: number } | undefined;

/**
 * Remembers the resolution picked on a shader page as the account's default (PUT /v1/settings with
 * only default_resolution; the other settings are kept). Resolutions the settings cannot hold are refused.
 */
export async function saveDefaultResolution(resolution: string): Promise<SettingsState> {
  const at = Date.now();
  if (!isSavedResolution(resolution)) return { error: "That resolution cannot be saved as your default.", at };
  const res = await edgeAsUser<"putSettings">("/v1/settings", { method: "PUT", body: { default_resolution: resolution } });
  if (!res.ok) return { error: edgeMessage(res.error), at };
  revalidatePath("/account");
  return { ok: `${resolutionLabel(resolution)} is now your default resolution.`, at };
}

const settingsForm = z.object({
  default_resolution: z.enum(SAVED_RESOLUTIONS),
  default_device_id: z.union([z.literal(""), z.uuid()]),
});

/** Saves the settings form (PUT /v1/settings): resolution, default Blender ("" = most recently seen), e-mails. */
export async function saveSettings(_prev: SettingsState, formData: FormData): Promise<SettingsState> {
  const at = Date.now();
  const parsed = settingsForm.safeParse({
    default_resolution: formData.get("default_resolution"),
    default_device_id: formData.get("default_device_id") ?? "",
  });
  if (!parsed.success) return { error: "Choose a resolution and a Blender from the lists.", at };
  const body: EdgeBody<"putSettings"> = {
    default_resolution: parsed.data.default_resolution,
    default_device_id: parsed.data.default_device_id || null,
    notifications: {
      import_failed: formData.get("import_failed") === "on",
      billing: formData.get("billing") === "on",
      product_news: formData.get("product_news") === "on",
    },
  };
  const res = await edgeAsUser<"putSettings">("/v1/settings", { method: "PUT", body });
  if (!res.ok) return { error: edgeMessage(res.error), at };
  revalidatePath("/account");
  return { ok: "Settings saved.", at };
}
