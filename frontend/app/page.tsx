import { Suspense } from "react";
import Link from "next/link";
import { parseCatalogQuery, catalogSearch, totalLabel, type CatalogQuery } from "@/lib/catalog";
import { getCategories, searchShaders, type Category } from "@/lib/data/catalog";
import { SearchControls } from "@/components/catalog/search-controls";
import { ShaderCard } from "@/components/catalog/shader-card";
import { GridSkeleton } from "@/components/catalog/grid-skeleton";
import { Pagination } from "@/components/catalog/pagination";
import { Alert } from "@/components/ui/alert";
import { buttonVariants } from "@/components/ui/button";
import { DEVICE_PARAM } from "@/lib/import-status";

type SP = Promise<Record<string, string | string[] | undefined>>;

export default async function BrowsePage({ searchParams }: { searchParams: SP }) {
  const sp = await searchParams;
  const query = parseCatalogQuery(sp);
  const device = typeof sp.device === "string" && DEVICE_PARAM.test(sp.device) ? sp.device : undefined;
  let categories: Category[] = [];
  try {
    categories = await getCategories();
  } catch {
    categories = [];
  }
  return (
    <div className="flex flex-col gap-6">
      <section className="flex flex-col gap-2">
        <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">OctaneRender materials, one click into Blender</h1>
        <p className="max-w-2xl text-muted-foreground">
          Physically based shaders built for Octane — previewed, versioned and imported straight onto your selection.
        </p>
      </section>
      <SearchControls query={query} categories={categories} device={device} />
      <Suspense key={catalogSearch(query)} fallback={<GridSkeleton />}>
        <Results query={query} categories={categories} device={device} />
      </Suspense>
    </div>
  );
}

async function Results({ query, categories, device }: { query: CatalogQuery; categories: Category[]; device?: string }) {
  let result: Awaited<ReturnType<typeof searchShaders>>;
  try {
    result = await searchShaders(query);
  } catch {
    return (
      <Alert tone="error">
        The catalog could not be loaded right now. <Link className="underline" href={"/" + catalogSearch(query)}>Try again</Link>.
      </Alert>
    );
  }
  const { rows, total, capped, corrected } = result;
  if (rows.length === 0) {
    const cat = categories.find((c) => c.id === query.category)?.name;
    return (
      <div className="flex flex-col items-center gap-3 rounded-xl border border-dashed border-border py-16 text-center" role="status">
        <p className="text-lg font-medium">No shaders match{query.q ? ` “${query.q}”` : ""}{cat ? ` in ${cat}` : ""}.</p>
        <p className="text-sm text-muted-foreground">Try a shorter search, another category, or clear the filters.</p>
        <Link href="/" className={buttonVariants({ variant: "outline", size: "sm" })}>Clear all filters</Link>
      </div>
    );
  }
  return (
    <section aria-label="Results">
      <p className="mb-3 text-sm text-muted-foreground" aria-live="polite">
        {totalLabel(total, capped)}
        {corrected && (
          <>
            {" · including close matches for "}
            <span className="font-medium text-foreground">“{corrected}”</span>
          </>
        )}
      </p>
      <ul className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-4 xl:grid-cols-6">
        {rows.map((s, i) => (
          <ShaderCard key={s.id} shader={s} eager={i < 6} deviceParam={device} />
        ))}
      </ul>
      <Pagination query={query} total={total} device={device} />
    </section>
  );
}
