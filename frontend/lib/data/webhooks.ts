import "server-only";
import { edgeAsUser } from "@/lib/edge-server";
import type { EdgeSchema } from "@/lib/edge";

export type WebhookDelivery = EdgeSchema<"WebhookDelivery">;
export type Webhook = EdgeSchema<"WebhookEndpoint"> & { deliveries: WebhookDelivery[] };

/** The user's webhook endpoints (secrets masked), each with its newest deliveries; null when the edge cannot answer. */
export async function getWebhooks(): Promise<Webhook[] | null> {
  const res = await edgeAsUser<"listWebhooks">("/v1/webhooks");
  if (!res.ok) return null;
  return Promise.all(
    res.data.webhooks.map(async (w) => {
      const log = await edgeAsUser<"listWebhookDeliveries">(`/v1/webhooks/${w.id}/deliveries`);
      return { ...w, deliveries: log.ok ? log.data.deliveries.slice(0, 5) : [] };
    }),
  );
}
