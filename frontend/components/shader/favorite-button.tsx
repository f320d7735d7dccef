"use client";

import { useState } from "react";
import { Heart } from "lucide-react";
import { Button } from "@/components/ui/button";
import { createClient } from "@/lib/supabase/client";
import { cn } from "@/lib/utils";

/** Favourites are written straight to Supabase; RLS only lets users touch their own rows. */
export function FavoriteButton({ shaderId, initial }: { shaderId: string; initial: boolean }) {
  const [fav, setFav] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(false);
  async function toggle() {
    setBusy(true);
    setError(false);
    const supabase = createClient();
    const next = !fav;
    setFav(next);
    const { error } = next
      ? await supabase.from("favorites").insert({ shader_id: shaderId })
      : await supabase.from("favorites").delete().eq("shader_id", shaderId);
    if (error && !(next && error.code === "23505")) {
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
