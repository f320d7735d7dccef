import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { WebhooksPanel, WebhooksWatcher } from "@/components/account/webhooks-panel";
import { getWebhooks } from "@/lib/data/webhooks";

/** The account page's Webhooks card: reads the endpoints and their newest deliveries from the edge. */
export async function WebhooksCard({ userId }: { userId: string }) {
  const webhooks = await getWebhooks();
  return (
    <Card id="webhooks">
      <CardHeader>
        <CardTitle>Webhooks</CardTitle>
        <CardDescription>
          Signed notices to your pipeline when imports finish or fail, Blenders connect or disconnect, or your subscription
          changes (Standard Webhooks; see the API docs).
        </CardDescription>
      </CardHeader>
      <CardContent>
        <WebhooksWatcher userId={userId} />
        <WebhooksPanel webhooks={webhooks} />
      </CardContent>
    </Card>
  );
}
