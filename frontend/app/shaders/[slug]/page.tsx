import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge } from "@/components/ui/badge";
import { buttonVariants } from "@/components/ui/button";
import { ImportPanel } from "@/components/shader/import-panel";
import { UserChannelProvider } from "@/components/account/use-user-channel";
import { SubscriptionWatcher } from "@/components/account/subscription-watcher";
import { FavoriteButton } from "@/components/shader/favorite-button";
import { formatBytes, previewImage } from "@/lib/catalog";
import { getShader } from "@/lib/data/catalog";
import { getBlenders, getDevices, getEntitlement, getSettings, isFavorite } from "@/lib/data/account";
import { currentUser } from "@/lib/data/user";
import { env } from "@/lib/env";
import { DEVICE_PARAM, type Blender, type Device } from "@/lib/import-status";
import { resolutionLabel, versionTextures } from "@/lib/resolutions";

type Props = {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const slugRe = /^[a-z0-9][a-z0-9-]{1,63}$/;

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { slug } = await params;
  const shader = slugRe.test(slug) ? await getShader(slug).catch(() => null) : null;
  return shader ? { title: shader.name, description: shader.description.slice(0, 160) } : { title: "Shader not found" };
}

export default async function ShaderPage({ params, searchParams }: Props) {
  const { slug } = await params;
  if (!slugRe.test(slug)) notFound();
  const sp = await searchParams;
  // The shader and the visitor are independent reads: one round trip's wait, not two.
  const [shader, user] = await Promise.all([getShader(slug), currentUser()]);
  if (!shader) notFound();

  const uid = user?.id ?? null;
  let devices: Device[] = [];
  let blenders: Blender[] = [];
  let favorite = false;
  let entitled = shader.is_free;
  let preferred: string | null = null;
  if (uid) {
    const [d, b, f, e, s] = await Promise.all([
      getDevices(), getBlenders(), isFavorite(shader.id), shader.is_free ? null : getEntitlement(), getSettings(),
    ]);
    devices = d;
    blenders = b;
    favorite = f;
    entitled = shader.is_free || Boolean(e?.subscribed);
    preferred = s?.default_resolution ?? null;
  }
  const latest = shader.shader_versions[0];
  const textures = latest ? versionTextures(latest) : ({ kind: "none" } as const);
  const img = previewImage(env.previewBaseUrl, shader.preview_key, "page");
  // ?device=<device id> or <device id>.<Blender id> (the add-on's Browse Shader Library)
  const requested = typeof sp.device === "string" && DEVICE_PARAM.test(sp.device) ? sp.device : null;
  const backHref = requested ? `/?device=${encodeURIComponent(requested)}` : "/";

  return (
    <article className="grid gap-8 lg:grid-cols-[minmax(0,1fr)_400px]">
      <div className="flex flex-col gap-4">
        <Link href={backHref} className="text-sm text-muted-foreground hover:text-foreground">← Library</Link>
        <div className="aspect-square w-full max-w-3xl overflow-hidden rounded-2xl border border-border bg-muted">
          {img ? (
            // eslint-disable-next-line @next/next/no-img-element -- previews are pre-sized renditions from the CDN (srcset)
            <img src={img.src} srcSet={img.srcSet} sizes={img.sizes} alt={`${shader.name} rendered on a shader ball`} width={1024} height={1024} fetchPriority="high" decoding="async" className="h-full w-full object-cover" />
          ) : (
            <div className="flex h-full items-center justify-center text-sm text-muted-foreground">No preview yet</div>
          )}
        </div>
      </div>
      <aside className="flex flex-col gap-6 lg:pt-9">
        <div className="flex flex-col gap-3">
          <div className="flex items-center gap-2">
            {shader.is_free ? <Badge variant="free">Free</Badge> : <Badge variant="pro">Pro</Badge>}
            <Link href={`/?category=${shader.category_id}`} className="text-xs capitalize text-muted-foreground hover:underline">
              {shader.category_id.replace(/-/g, " ")}
            </Link>
          </div>
          <div className="flex items-start justify-between gap-3">
            <h1 className="text-3xl font-semibold tracking-tight">{shader.name}</h1>
            {uid ? <FavoriteButton shaderId={shader.id} initial={favorite} /> : null}
          </div>
          {shader.description ? <p className="text-muted-foreground">{shader.description}</p> : null}
          {shader.tags.length > 0 ? (
            <ul className="flex flex-wrap gap-1.5" aria-label="Tags">
              {shader.tags.map((t) => (
                <li key={t}>
                  <Link href={`/?tags=${encodeURIComponent(t)}`} className="rounded-md border border-border px-2 py-0.5 text-xs text-muted-foreground hover:text-foreground">#{t}</Link>
                </li>
              ))}
            </ul>
          ) : null}
        </div>

        {uid ? (
          // One Realtime channel for the panel and the watcher: a payment or a cancellation
          // (the `subscription` broadcast) re-renders the page, unlocking or locking the shader.
          <UserChannelProvider userId={uid}>
            <SubscriptionWatcher userId={uid} />
            <ImportPanel
              shaderId={shader.id}
              shaderName={shader.name}
              version={latest?.version ?? null}
              userId={uid}
              devices={devices}
              blenders={blenders}
              requestedDevice={requested}
              entitled={entitled}
              textures={textures}
              preferredResolution={preferred}
            />
          </UserChannelProvider>
        ) : (
          <div className="flex flex-col gap-3 rounded-xl border border-border bg-card p-5">
            <p className="text-sm">Sign in to import {shader.name} into Blender{shader.is_free ? " — it’s free" : ""}.</p>
            <Link href={`/login?next=${encodeURIComponent(`/shaders/${shader.slug}${requested ? `?device=${requested}` : ""}`)}`} className={buttonVariants({ size: "lg" })}>
              Sign in to import
            </Link>
          </div>
        )}

        {latest ? (
          <section aria-labelledby="specs">
            <h2 id="specs" className="mb-2 text-sm font-medium">Specifications</h2>
            <dl className="grid grid-cols-2 gap-x-4 gap-y-2 rounded-xl border border-border p-4 text-sm">
              <dt className="text-muted-foreground">Version</dt><dd>{latest.version}</dd>
              <dt className="text-muted-foreground">Blender</dt><dd>{latest.min_blender ? `${latest.min_blender} or newer` : "any"}</dd>
              <dt className="text-muted-foreground">OctaneRender</dt><dd>{latest.min_octane ? `${latest.min_octane} or newer` : "any"}</dd>
              <dt className="text-muted-foreground">Textures</dt>
              <dd>
                {textures.kind === "sets"
                  ? textures.choices.map((c) => resolutionLabel(c.resolution)).join(", ")
                  : textures.kind === "fixed" ? textures.resolutions.map(resolutionLabel).join(", ") : "procedural"}
              </dd>
              <dt className="text-muted-foreground">Download size</dt>
              <dd data-testid="download-sizes">
                {textures.kind === "sets" ? (
                  <ul>{textures.choices.map((c) => <li key={c.resolution}>{resolutionLabel(c.resolution)}: {formatBytes(c.download)}</li>)}</ul>
                ) : formatBytes(Number(latest.size))}
              </dd>
            </dl>
          </section>
        ) : null}
        {shader.shader_versions.length > 0 ? (
          <section aria-labelledby="versions">
            <h2 id="versions" className="mb-2 text-sm font-medium">Versions</h2>
            <ul className="flex flex-col gap-1 text-sm text-muted-foreground">
              {shader.shader_versions.map((v, i) => (
                <li key={v.id} className="flex justify-between">
                  <span>{v.version}{i === 0 ? " (latest)" : ""}</span>
                  <time dateTime={v.created_at}>{new Date(v.created_at).toLocaleDateString("en")}</time>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
      </aside>
    </article>
  );
}
