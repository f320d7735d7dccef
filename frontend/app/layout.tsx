import type { Metadata, Viewport } from "next";
import { cookies } from "next/headers";
import "./globals.css";
import { SiteHeader } from "@/components/site-header";
import { env } from "@/lib/env";

export const metadata: Metadata = {
  metadataBase: new URL(env.siteUrl),
  title: { default: "Octane Bridge — shader library for OctaneRender in Blender", template: "%s · Octane Bridge" },
  description: "Browse production-ready OctaneRender materials and import them into Blender with one click.",
};

export const viewport: Viewport = {
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#fafafa" },
    { media: "(prefers-color-scheme: dark)", color: "#16161d" },
  ],
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const theme = (await cookies()).get("theme")?.value;
  const themeClass = theme === "dark" || theme === "light" ? theme : undefined;
  return (
    <html lang="en" className={themeClass}>
      <body className="min-h-dvh antialiased">
        <a href="#main" className="sr-only focus:not-sr-only focus:fixed focus:left-4 focus:top-4 focus:z-50 focus:rounded focus:bg-card focus:px-3 focus:py-2">
          Skip to content
        </a>
        <SiteHeader theme={themeClass ?? "system"} />
        {/* min-height keeps the footer below the fold while streamed content arrives (no layout shift). */}
        <main id="main" className="mx-auto min-h-[calc(100dvh-3.5rem)] w-full max-w-7xl px-4 pb-16 pt-6 sm:px-6">
          {children}
        </main>
        <footer className="border-t border-border py-8 text-center text-xs text-muted-foreground">
          Octane Bridge · materials for OctaneRender in Blender ·{" "}
          <a className="underline underline-offset-2" href="/help">Help &amp; add-on download</a>
        </footer>
      </body>
    </html>
  );
}
