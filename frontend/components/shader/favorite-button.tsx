"use client";

import { useState } from "react";
import { Heart } from "lucide-react";
import { Button } from "@/components/ui/button";
import { setFavorite } from "@/lib/browser-data";
import { cn } from "@/lib/utils";

/** Favourites are written straight to Supabase; RLS only lets users touch their own rows. */
export function FavoriteButton({ shaderId, initial }: { shaderId: string; initial: boolean }) {
  const [fav, setFav] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(false);
  async function toggle() {
    setBusy(true);
    setError(false);
    const next = !fav;
    setFav(next);
    if (!(await setFavorite(shaderId, next))) {
      setFav(!next);
      setError(true);
    }
    setBusy(false);
  }
  return (
    <Button variant="outline" size="sm" onClick={toggle} disabled={busy} aria-pressed={fav} title={error ? "Could not save, try again" : undefined}>
      <Heart className={cn("h-4 w-4", fav && "fill-danger text-danger")} aria-hidden />
      {fav ? "Favourited" : "Favourite"}
    </Button>
  );
}
