"use client";

import { useEffect, useRef, useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { Search, X, Loader2 } from "lucide-react";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { catalogSearch, type CatalogQuery, type Sort, type Tier } from "@/lib/catalog";
import { cn } from "@/lib/utils";

type Props = {
  query: CatalogQuery;
  categories: { id: string; name: string }[];
  device?: string;
  debounceMs?: number;
};

const tierLabels: Record<Tier, string> = { all: "All", free: "Free", pro: "Pro" };

export function SearchControls({ query, categories, device, debounceMs = 250 }: Props) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [text, setText] = useState(query.q);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastPushed = useRef(query.q);

  // Back/forward navigation changes the URL under us: follow it unless the user is typing.
  useEffect(() => {
    if (query.q !== lastPushed.current) {
      lastPushed.current = query.q;
      setText(query.q);
    }
  }, [query.q]);

  useEffect(() => () => { if (timer.current) clearTimeout(timer.current); }, []);

  function go(next: Partial<CatalogQuery>) {
    const merged = { ...query, page: 1, ...next };
    let search = catalogSearch(merged);
    if (device) search += (search ? "&" : "?") + "device=" + encodeURIComponent(device);
    startTransition(() => router.replace("/" + search, { scroll: false }));
  }

  function onText(v: string) {
    setText(v);
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const q = v.trim();
      lastPushed.current = q;
      // A new search term switches to relevance unless the user chose a sort explicitly.
      const sort: Sort = q && query.sort === "popular" && !query.q ? "relevance" : !q && query.sort === "relevance" ? "popular" : query.sort;
      go({ q, sort });
    }, debounceMs);
  }

  return (
    <div className="flex flex-col gap-3" data-pending={pending ? "" : undefined}>
      <div className="relative">
        <Search aria-hidden className="pointer-events-none absolute left-3 top-1/2 h-4 w-4 -translate-y-1/2 text-muted-foreground" />
        <Input
          type="search"
          role="searchbox"
          aria-label="Search shaders"
          placeholder="Search materials — “brushed steel”, “car paint”, “marble”…"
          value={text}
          onChange={(e) => onText(e.target.value)}
          className="h-11 pl-9 pr-10 text-base"
          autoComplete="off"
        />
        {pending ? (
          <Loader2 aria-label="Searching" className="absolute right-3 top-1/2 h-4 w-4 -translate-y-1/2 animate-spin text-muted-foreground" />
        ) : text ? (
          <button type="button" aria-label="Clear search" onClick={() => onText("")} className="absolute right-2 top-1/2 -translate-y-1/2 rounded p-1 text-muted-foreground hover:text-foreground">
            <X className="h-4 w-4" aria-hidden />
          </button>
        ) : null}
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <div role="group" aria-label="Price" className="inline-flex rounded-md border border-input p-0.5">
          {(Object.keys(tierLabels) as Tier[]).map((t) => (
            <button
              key={t}
              type="button"
              aria-pressed={query.tier === t}
              onClick={() => go({ tier: t })}
              className={cn("rounded px-3 py-1 text-sm", query.tier === t ? "bg-primary text-primary-foreground" : "hover:bg-muted")}
            >
              {tierLabels[t]}
            </button>
          ))}
        </div>
        <label className="sr-only" htmlFor="category">Category</label>
        <Select id="category" value={query.category ?? ""} onChange={(e) => go({ category: e.target.value || null })}>
          <option value="">All categories</option>
          {categories.map((c) => (
            <option key={c.id} value={c.id}>{c.name}</option>
          ))}
        </Select>
        <label className="sr-only" htmlFor="sort">Sort by</label>
        <Select id="sort" value={query.sort} onChange={(e) => go({ sort: e.target.value as Sort })}>
          {query.q ? <option value="relevance">Best match</option> : null}
          <option value="popular">Most popular</option>
          <option value="newest">Newest</option>
          <option value="name">Name A–Z</option>
        </Select>
        {query.tags.map((t) => (
          <button
            key={t}
            type="button"
            onClick={() => go({ tags: query.tags.filter((x) => x !== t) })}
            className="inline-flex items-center gap-1 rounded-full border border-input px-2.5 py-1 text-xs hover:bg-muted"
            aria-label={`Remove tag ${t}`}
          >
            #{t} <X className="h-3 w-3" aria-hidden />
          </button>
        ))}
      </div>
    </div>
  );
}
