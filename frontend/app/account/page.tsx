import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { loginRedirectPath } from "@/lib/routes";
import { currentUser } from "@/lib/data/user";
import { getApiKeys, getDevices, getEntitlement, getFavorites, getImportHistory, getPrices, getSettings, type Price, type ShaderRef } from "@/lib/data/account";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DevicesPanel } from "@/components/account/devices-panel";
import { ApiKeysPanel } from "@/components/account/api-keys-panel";
import { ImportHistory } from "@/components/account/import-history";
import { SettingsForm } from "@/components/account/settings-form";
import { startCheckout, openPortal } from "@/lib/actions/account";
import { UserChannelProvider } from "@/components/account/use-user-channel";
import { SubscriptionWatcher } from "@/components/account/subscription-watcher";

export const metadata: Metadata = { title: "Account" };

function money(p: Price) {
  if (p.unit_amount == null) return "—";
  const amount = new Intl.NumberFormat("en", { style: "currency", currency: p.currency.toUpperCase() }).format(p.unit_amount / 100);
  return p.interval ? `${amount} / ${p.interval_count > 1 ? `${p.interval_count} ${p.interval}s` : p.interval}` : amount;
}

export default async function AccountPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const sp = await searchParams;
  const user = await currentUser();
  if (!user) redirect(loginRedirectPath("/account"));
  const { id: uid, email } = user;

  const [entitlement, priceRows, devices, keys, history, favorites, settings] = await Promise.all([
    getEntitlement(),
    getPrices(),
    getDevices(),
    getApiKeys(),
    getImportHistory(),
    getFavorites(),
    getSettings(),
  ]);
  const shaderNames: Record<string, ShaderRef> = {};
  for (const r of history) if (r.shader_id && r.shader) shaderNames[r.shader_id] = r.shader;

  return (
    <UserChannelProvider userId={uid}>
    <SubscriptionWatcher userId={uid} />
    <div className="flex flex-col gap-6">
      <header className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Your account</h1>
        <p className="text-sm text-muted-foreground">{email}</p>
      </header>
      {sp.billing_error ? <Alert tone="error">{sp.billing_error}</Alert> : null}
      {sp.checkout === "success" ? <Alert tone="success">Thanks! Your subscription becomes active as soon as Stripe confirms the payment.</Alert> : null}

      <Card id="subscription">
        <CardHeader>
          <CardTitle>Subscription</CardTitle>
          <CardDescription>Pro unlocks every shader in the library. Free shaders are always free.</CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-4">
          {entitlement?.subscribed ? (
            <div className="flex flex-wrap items-center gap-3">
              <Badge variant="pro">Pro</Badge>
              <span className="text-sm" data-testid="subscription-status">
                {entitlement.status === "trialing" ? "Trial" : "Active"}
                {entitlement.current_period_end ? ` · renews ${new Date(entitlement.current_period_end).toLocaleDateString("en")}` : ""}
              </span>
              <form action={openPortal} className="ml-auto">
                <Button variant="outline">Manage billing</Button>
              </form>
            </div>
          ) : (
            <>
              <p className="text-sm" data-testid="subscription-status">
                {entitlement?.status && entitlement.status !== "canceled" ? `Subscription ${entitlement.status.replace("_", " ")} — update your payment method to keep Pro.` : "You are on the free plan."}
              </p>
              {priceRows.length === 0 ? (
                <p className="text-sm text-muted-foreground">Plans are not available right now.</p>
              ) : (
                <div className="grid gap-3 sm:grid-cols-2">
                  {priceRows.map((p) => (
                    <form key={p.id} action={startCheckout} className="flex items-center justify-between gap-3 rounded-lg border border-border p-4">
                      <div>
                        <p className="font-medium">{p.products?.name ?? "Pro"}</p>
                        <p className="text-sm text-muted-foreground">{money(p)}</p>
                      </div>
                      <input type="hidden" name="price_id" value={p.id} />
                      <Button>Subscribe</Button>
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

      <div className="grid gap-6 lg:grid-cols-2">
        <Card id="devices">
          <CardHeader>
            <CardTitle>Connected Blenders</CardTitle>
            <CardDescription>Each Blender with the add-on is a device. <Link className="underline" href="/connect">Connect one</Link>.</CardDescription>
          </CardHeader>
          <CardContent><DevicesPanel userId={uid} initial={devices} /></CardContent>
        </Card>
        <Card id="imports">
          <CardHeader>
            <CardTitle>Recent imports</CardTitle>
            <CardDescription>Updates live while Blender works.</CardDescription>
          </CardHeader>
          <CardContent><ImportHistory userId={uid} initial={history} shaderNames={shaderNames} /></CardContent>
        </Card>
      </div>

      <div className="grid gap-6 lg:grid-cols-2">
        <Card id="favorites">
          <CardHeader><CardTitle>Favourites</CardTitle></CardHeader>
          <CardContent>
            {favorites.length === 0 ? (
              <p className="text-sm text-muted-foreground">Press the heart on a shader to keep it here.</p>
            ) : (
              <ul className="flex flex-wrap gap-2">
                {favorites.map((f) => f.shaders ? (
                  <li key={f.shader_id}>
                    <Link href={`/shaders/${f.shaders.slug}`} className="inline-flex items-center gap-2 rounded-full border border-border px-3 py-1 text-sm hover:bg-muted">
                      {f.shaders.name} {f.shaders.is_free ? <Badge variant="free">Free</Badge> : null}
                    </Link>
                  </li>
                ) : null)}
              </ul>
            )}
          </CardContent>
        </Card>
        <Card id="api-keys">
          <CardHeader>
            <CardTitle>API keys</CardTitle>
            <CardDescription>For your own scripts. Keys are shown once; we store only a hash.</CardDescription>
          </CardHeader>
          <CardContent><ApiKeysPanel keys={keys} /></CardContent>
        </Card>
      </div>

      <Card id="settings">
        <CardHeader>
          <CardTitle>Settings</CardTitle>
          <CardDescription>What an import uses when you do not choose, and which e-mails you get.</CardDescription>
        </CardHeader>
        <CardContent>
          {settings ? (
            <SettingsForm settings={settings} devices={devices} />
          ) : (
            <Alert tone="error">Settings are unavailable right now. Try again in a moment.</Alert>
          )}
        </CardContent>
      </Card>
    </div>
    </UserChannelProvider>
  );
}
