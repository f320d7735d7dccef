import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { previewImage } from "@/lib/catalog";
import { env } from "@/lib/env";
import type { ShaderSummary } from "@/lib/catalog";

export function ShaderCard({ shader, eager, deviceParam }: { shader: ShaderSummary; eager?: boolean; deviceParam?: string }) {
  const img = previewImage(env.previewBaseUrl, shader.preview_key, "grid");
  const href = `/shaders/${shader.slug}` + (deviceParam ? `?device=${encodeURIComponent(deviceParam)}` : "");
  return (
    <li className="group">
      <Link href={href} prefetch={false} className="block rounded-xl focus-visible:outline-2 focus-visible:outline-offset-4">
        {/* Fixed 1:1 box: the image never shifts the layout while it loads. */}
        <div className="relative aspect-square overflow-hidden rounded-xl border border-border bg-muted">
          {img ? (
            // eslint-disable-next-line @next/next/no-img-element -- previews come from a CDN with pre-sized renditions (srcset)
            <img
              src={img.src}
              srcSet={img.srcSet}
              sizes={img.sizes}
              alt=""
              width={512}
              height={512}
              loading={eager ? "eager" : "lazy"}
              fetchPriority={eager ? "high" : "auto"}
              decoding="async"
              className="h-full w-full object-cover transition-transform duration-300 group-hover:scale-[1.03]"
            />
          ) : (
            <div className="flex h-full items-center justify-center bg-gradient-to-br from-muted to-border text-xs text-muted-foreground">
              No preview yet
            </div>
          )}
          <div className="absolute left-2 top-2">
            {shader.is_free ? <Badge variant="free" className="bg-card/90 backdrop-blur">Free</Badge> : <Badge variant="pro">Pro</Badge>}
          </div>
        </div>
        <div className="mt-2 flex items-baseline justify-between gap-2">
          <h3 className="truncate text-sm font-medium">{shader.name}</h3>
          <span className="shrink-0 text-xs text-muted-foreground">{shader.category_id}</span>
        </div>
      </Link>
    </li>
  );
}
