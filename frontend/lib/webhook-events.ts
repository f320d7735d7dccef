import type { EdgeSchema } from "@/lib/edge";

/** The events a webhook endpoint may receive (edge/openapi.yaml WebhookEvent), in the site's words. */
export const webhookEvents = [
  { event: "import.completed", label: "An import reached Blender" },
  { event: "import.failed", label: "An import failed" },
  { event: "subscription.updated", label: "Your subscription changed" },
  { event: "device.paired", label: "A Blender was connected" },
  { event: "device.revoked", label: "A Blender was disconnected" },
] as const satisfies readonly { event: EdgeSchema<"WebhookEvent">; label: string }[];

export type WebhookEvent = (typeof webhookEvents)[number]["event"];
export const webhookEventNames = webhookEvents.map((e) => e.event) as [WebhookEvent, ...WebhookEvent[]];
