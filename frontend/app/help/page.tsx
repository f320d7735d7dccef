import type { Metadata } from "next";
import fs from "node:fs";
import path from "node:path";
import Link from "next/link";
import { Download } from "lucide-react";
import { buttonVariants } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { env } from "@/lib/env";
import { addonFileUrl, loadAddonFiles, type AddonFiles } from "@/lib/addon";

export const metadata: Metadata = { title: "Install the Blender add-on" };

// Local: public/addon/ (filled from dist/addon/ by scripts/sync-addon.mjs); production: the CDN's
// addon/files.json (NEXT_PUBLIC_ADDON_BASE_URL, published by `make release`). See lib/addon.ts.
function addonFiles(): Promise<AddonFiles> {
  return loadAddonFiles(env.addonBaseUrl, {
    fetch: (url, init) => fetch(url, init),
    readLocal: () => fs.readFileSync(path.join(process.cwd(), "public/addon/files.json"), "utf8"),
  });
}

export default async function HelpPage() {
  const files = await addonFiles();
  const repo = `${env.siteUrl.replace(/\/$/, "")}/addon/index.json`;
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-8">
      <header className="flex flex-col gap-2">
        <h1 className="text-3xl font-semibold tracking-tight">Import into Blender in three steps</h1>
        <p className="text-muted-foreground">Blender 3.4 or newer with OctaneRender for Blender. Without Octane the material still appears, with a Principled fallback.</p>
      </header>

      <Card>
        <CardHeader><CardTitle>1 · Install the add-on</CardTitle></CardHeader>
        <CardContent className="flex flex-col gap-4 text-sm">
          {files.latest ? (
            <a href={addonFileUrl(env.addonBaseUrl, files.latest)} download className={buttonVariants({ size: "lg" }) + " self-start"}>
              <Download className="h-4 w-4" aria-hidden /> Download the add-on (.zip)
            </a>
          ) : (
            <p className="rounded-md bg-muted px-3 py-2 text-muted-foreground" data-testid="addon-missing">
              The add-on download is being prepared. Check back shortly.
            </p>
          )}
          <p><strong>Blender 4.2 and newer:</strong> Edit → Preferences → Get Extensions → Repositories → <em>+ Add Remote Repository</em>, paste{" "}
            <code className="rounded bg-muted px-1.5 py-0.5 font-mono text-xs">{repo}</code>, then install <em>Octane Bridge</em>. Blender keeps it up to date.</p>
          <p><strong>Blender 3.4 – 4.1:</strong> Edit → Preferences → Add-ons → Install…, choose the downloaded zip, tick <em>Octane Bridge</em>.</p>
          {files.zips.length > 1 ? (
            <details>
              <summary className="cursor-pointer text-muted-foreground">Other builds</summary>
              <ul className="mt-2 flex flex-col gap-1">
                {files.zips.map((z) => <li key={z}><a className="underline" href={addonFileUrl(env.addonBaseUrl, z)}>{z.split("/").pop()}</a></li>)}
              </ul>
            </details>
          ) : null}
        </CardContent>
      </Card>

      <Card>
        <CardHeader><CardTitle>2 · Connect Blender to your account</CardTitle></CardHeader>
        <CardContent className="flex flex-col gap-2 text-sm">
          <p>In the 3D viewport sidebar (N) open the <em>Octane Bridge</em> tab and press <em>Connect</em>. Blender shows a code like <code className="font-mono">BCDF-GHJK</code> and opens <Link className="underline" href="/connect">/connect</Link>; sign in and approve that code.</p>
          <p className="text-muted-foreground">Only approve codes you started yourself. You can disconnect a Blender at any time from your <Link className="underline" href="/account#devices">account</Link>.</p>
        </CardContent>
      </Card>

      <Card>
        <CardHeader><CardTitle>3 · Import</CardTitle></CardHeader>
        <CardContent className="flex flex-col gap-2 text-sm">
          <p>Select objects in Blender, press <em>Browse Shader Library</em> in the add-on (it opens this site with your Blender preselected), open a shader and press <em>Import to Blender</em>. The page shows the progress live; the material lands on your selection as one undo step.</p>
        </CardContent>
      </Card>

      <Card>
        <CardHeader><CardTitle>Troubleshooting</CardTitle></CardHeader>
        <CardContent>
          <dl className="grid gap-3 text-sm">
            <div><dt className="font-medium">“Queued — waiting for Blender” does not move</dt><dd className="text-muted-foreground">Blender is closed or the add-on is disabled. Open it; queued imports wait 15 minutes.</dd></div>
            <div><dt className="font-medium">Device shows offline</dt><dd className="text-muted-foreground">Check the add-on panel: it shows the connection state and the last error.</dd></div>
            <div><dt className="font-medium">Pro shaders ask for a subscription</dt><dd className="text-muted-foreground">Subscribe from your <Link className="underline" href="/account#subscription">account</Link>; free shaders never need one.</dd></div>
          </dl>
          <p className="mt-4 text-xs text-muted-foreground">Privacy: this site never talks to your computer directly. Imports travel through your account to the add-on, which downloads, verifies the signature and opens only signed packages.</p>
        </CardContent>
      </Card>
    </div>
  );
}
