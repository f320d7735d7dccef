import { getEntitlement, getPrices, type Price } from "@/lib/data/account";
import { getPlan } from "@/lib/data/billing";
import { startCheckout, openPortal } from "@/lib/actions/account";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { SubscriptionWatcher } from "@/components/account/subscription-watcher";

function money(p: Price) {
  if (p.unit_amount == null) return "—";
  const amount = new Intl.NumberFormat("en", { style: "currency", currency: p.currency.toUpperCase() }).format(p.unit_amount / 100);
  return p.interval ? `${amount} / ${p.interval_count > 1 ? `${p.interval_count} ${p.interval}s` : p.interval}` : amount;
}

const day = (iso: string) => new Date(iso).toLocaleDateString("en", { year: "numeric", month: "long", day: "numeric" });

/**
 * The account page's plan: Subscribe buttons (hosted Checkout) on the free plan, the plan and
 * "Manage billing" (the Customer Portal) on Pro, and what Checkout's return means. It re-renders
 * when Stripe's webhook changes the subscription (the `subscription` broadcast on user:<id>).
 * Needs a UserChannelProvider above it.
 */
export async function BillingPanel({ userId, checkout, billingError }: { userId: string; checkout?: string; billingError?: string }) {
  const [entitlement, prices, plan] = await Promise.all([getEntitlement(), getPrices(), getPlan()]);
  const pro = Boolean(entitlement?.subscribed);
  const ending = pro && plan?.cancel_at_period_end && plan.current_period_end ? plan.current_period_end : null;
  return (
    <>
      {/* A payment confirmed between this render and the page's Realtime join reached nobody: read once more when live. */}
      <SubscriptionWatcher userId={userId} awaitingCheckout={checkout === "success" && !pro} />
      {billingError ? <Alert tone="error">{billingError}</Alert> : null}
      {checkout === "success" ? (
        <Alert tone="success" data-testid="checkout-result">
          {pro ? "Thanks! You are on Pro: every shader in the library imports now." : "Thanks! Your subscription becomes active as soon as Stripe confirms the payment."}
        </Alert>
      ) : null}
      {checkout === "cancelled" && !pro ? (
        <Alert data-testid="checkout-result">Checkout was not completed, so nothing was charged. You are still on the free plan.</Alert>
      ) : null}

      <Card id="subscription" data-testid="billing-panel" data-plan={pro ? "pro" : "free"}>
        <CardHeader>
          <CardTitle>Subscription</CardTitle>
          <CardDescription>Pro unlocks every shader in the library. Free shaders are always free.</CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-4">
          {pro ? (
            <div className="flex flex-wrap items-center gap-3">
              <Badge variant="pro">Pro</Badge>
              <span className="text-sm" data-testid="subscription-status">
                {entitlement?.status === "trialing" ? "Trial" : "Active"}
                {ending
                  ? ` · ends ${day(ending)} (cancelled; renew it in Manage billing)`
                  : entitlement?.current_period_end
                    ? ` · renews ${day(entitlement.current_period_end)}`
                    : ""}
              </span>
              <form action={openPortal} className="ml-auto">
                <Button variant="outline">Manage billing</Button>
              </form>
            </div>
          ) : (
            <>
              <p className="text-sm" data-testid="subscription-status">
                {entitlement?.status === "past_due" || entitlement?.status === "unpaid"
                  ? "Your last payment failed — update your payment method in Manage billing to keep Pro."
                  : entitlement?.status === "canceled"
                    ? "Your Pro subscription has ended. You are on the free plan."
                    : "You are on the free plan."}
              </p>
              {prices.length === 0 ? (
                <p className="text-sm text-muted-foreground">Plans are not available right now.</p>
              ) : (
                <div className="grid gap-3 sm:grid-cols-2">
                  {prices.map((p) => (
                    <form key={p.id} action={startCheckout} className="flex items-center justify-between gap-3 rounded-lg border border-border p-4">
                      <div>
                        <p className="font-medium">{p.products?.name ?? "Pro"}</p>
                        <p className="text-sm text-muted-foreground">{money(p)}</p>
                      </div>
                      <input type="hidden" name="price_id" value={p.id} />
                      <Button aria-label={`Subscribe ${p.interval ? `${p.interval}ly` : ""}`.trim()}>Subscribe</Button>
                    </form>
                  ))}
                </div>
              )}
              {entitlement?.status ? (
                <form action={openPortal}><Button variant="link" className="px-0">Manage billing</Button></form>
              ) : null}
            </>
          )}
        </CardContent>
      </Card>
    </>
  );
}
