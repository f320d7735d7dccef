"use client";

import { useState } from "react";
import { Moon, Sun, Monitor } from "lucide-react";
import { Button } from "@/components/ui/button";

type Theme = "light" | "dark" | "system";
const next: Record<Theme, Theme> = { system: "dark", dark: "light", light: "system" };
const label: Record<Theme, string> = { system: "Theme: system", dark: "Theme: dark", light: "Theme: light" };

export function ThemeToggle({ initial }: { initial: Theme }) {
  const [theme, setTheme] = useState<Theme>(initial);
  function cycle() {
    const t = next[theme];
    setTheme(t);
    const root = document.documentElement;
    root.classList.remove("light", "dark");
    if (t !== "system") root.classList.add(t);
    document.cookie = t === "system" ? "theme=; path=/; max-age=0" : `theme=${t}; path=/; max-age=31536000; samesite=lax`;
  }
  const Icon = theme === "dark" ? Moon : theme === "light" ? Sun : Monitor;
  return (
    <Button variant="ghost" size="icon" onClick={cycle} aria-label={label[theme] + " (change)"} title={label[theme]}>
      <Icon className="h-4 w-4" aria-hidden />
    </Button>
  );
}
