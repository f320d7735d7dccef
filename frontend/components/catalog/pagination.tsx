import Link from "next/link";
import { catalogSearch, pageCount, type CatalogQuery } from "@/lib/catalog";
import { buttonVariants } from "@/components/ui/button";
import { cn } from "@/lib/utils";

export function Pagination({ query, total, device }: { query: CatalogQuery; total: number; device?: string }) {
  const pages = pageCount(total);
  if (pages <= 1) return null;
  const href = (page: number) => {
    let s = catalogSearch({ ...query, page });
    if (device) s += (s ? "&" : "?") + "device=" + encodeURIComponent(device);
    return "/" + s;
  };
  const prev = query.page > 1;
  const next = query.page < pages;
  return (
    <nav aria-label="Pagination" className="mt-8 flex items-center justify-center gap-3 text-sm">
      {prev ? (
        <Link href={href(query.page - 1)} rel="prev" className={buttonVariants({ variant: "outline", size: "sm" })}>Previous</Link>
      ) : (
        <span className={cn(buttonVariants({ variant: "outline", size: "sm" }), "opacity-40")} aria-disabled>Previous</span>
      )}
      <span className="text-muted-foreground">Page {query.page} of {pages}</span>
      {next ? (
        <Link href={href(query.page + 1)} rel="next" className={buttonVariants({ variant: "outline", size: "sm" })}>Next</Link>
      ) : (
        <span className={cn(buttonVariants({ variant: "outline", size: "sm" }), "opacity-40")} aria-disabled>Next</span>
      )}
    </nav>
  );
}
