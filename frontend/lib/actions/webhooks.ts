"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { edgeAsUser } from "@/lib/edge-server";
import { edgeMessage } from "@/lib/edge";
import { webhookEventNames } from "@/lib/webhook-events";

export type WebhookState = { error?: string; ok?: string; secret?: string } | undefined;

const hookUrl = z.string().trim().min(1, "Enter the endpoint's https URL.").max(2048, "2048 characters at most.");
const description = z.string().trim().max(200, "200 characters at most.");
const events = z.array(z.enum(webhookEventNames)).min(1, "Choose at least one event.");
const id = z.uuid();

/** Registers an endpoint (POST /v1/webhooks); the edge checks the URL (https, a public address). */
export async function createWebhook(_prev: WebhookState, formData: FormData): Promise<WebhookState> {
  const url = hookUrl.safeParse(formData.get("url") ?? "");
  const desc = description.safeParse(formData.get("description") ?? "");
  const ev = events.safeParse(formData.getAll("events"));
  if (!url.success) return { error: url.error.issues[0]?.message };
  if (!desc.success) return { error: desc.error.issues[0]?.message };
  if (!ev.success) return { error: ev.error.issues[0]?.message };
  const res = await edgeAsUser<"createWebhook">("/v1/webhooks", { body: { url: url.data, description: desc.data, events: ev.data } });
  if (!res.ok) return { error: edgeMessage(res.error) };
  revalidatePath("/account");
  return { ok: "Endpoint added. Copy its signing secret now: it will not be shown again.", secret: res.data.secret };
}

/** A new signing secret (the old one keeps signing beside it for 24 hours). */
export async function rotateWebhook(_prev: WebhookState, formData: FormData): Promise<WebhookState> {
  const hook = id.safeParse(formData.get("webhook_id"));
  if (!hook.success) return { error: "Unknown endpoint." };
  const res = await edgeAsUser<"rotateWebhookSecret">(`/v1/webhooks/${hook.data}/rotate`, { method: "POST" });
  if (!res.ok) return { error: edgeMessage(res.error) };
  revalidatePath("/account");
  return { ok: "New secret. The old one keeps working for 24 hours.", secret: res.data.secret };
}

export async function deleteWebhook(_prev: WebhookState, formData: FormData): Promise<WebhookState> {
  const hook = id.safeParse(formData.get("webhook_id"));
  if (!hook.success) return { error: "Unknown endpoint." };
  const res = await edgeAsUser<"deleteWebhook">(`/v1/webhooks/${hook.data}`, { method: "DELETE" });
  if (!res.ok) return { error: edgeMessage(res.error) };
  revalidatePath("/account");
  return { ok: "Endpoint deleted." };
}
