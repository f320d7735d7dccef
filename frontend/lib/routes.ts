const protectedPrefixes = ["/account", "/connect"];

export function isProtectedPath(pathname: string): boolean {
  return protectedPrefixes.some((p) => pathname === p || pathname.startsWith(p + "/"));
}

/** Only same-site relative paths are accepted as return targets (no open redirect). */
export function safeNext(next: string | null | undefined, fallback = "/"): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return fallback;
  try {
    const u = new URL(next, "http://x");
    if (u.origin !== "http://x") return fallback;
    return u.pathname + u.search + u.hash;
  } catch {
    return fallback;
  }
}

export function loginRedirectPath(returnTo: string): string {
  return "/login?next=" + encodeURIComponent(safeNext(returnTo));
}
