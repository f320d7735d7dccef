import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { loginRedirectPath } from "@/lib/routes";
import { currentUser } from "@/lib/data/user";
import { getApiKeys, getDevices, getFavorites, getImportHistory, getSettings, type ShaderRef } from "@/lib/data/account";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { DevicesPanel } from "@/components/account/devices-panel";
import { ApiKeysPanel } from "@/components/account/api-keys-panel";
import { ImportHistory } from "@/components/account/import-history";
import { YourNumbers } from "@/components/account/your-numbers";
import { SettingsForm } from "@/components/account/settings-form";
import { UserChannelProvider } from "@/components/account/use-user-channel";
import { BillingPanel } from "@/components/account/billing-panel";
import { WebhooksCard } from "@/components/account/webhooks-card";

export const metadata: Metadata = { title: "Account" };

export default async function AccountPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const sp = await searchParams;
  const user = await currentUser();
  if (!user) redirect(loginRedirectPath("/account"));
  const { id: uid, email } = user;

  const [devices, keys, history, favorites, settings] = await Promise.all([
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
    <div className="flex flex-col gap-6">
      <header className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Your account</h1>
        <p className="text-sm text-muted-foreground">{email}</p>
      </header>
      <BillingPanel userId={uid} checkout={sp.checkout} billingError={sp.billing_error} />

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
          <CardContent><ImportHistory userId={uid} initial={history} shaderNames={shaderNames} devices={devices} /></CardContent>
        </Card>
      </div>
      <YourNumbers />

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

      <WebhooksCard userId={uid} />
    </div>
    </UserChannelProvider>
  );
}
