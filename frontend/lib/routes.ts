const protectedPrefixes = ["/account", "/connect", "/operator"];

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

/** An auth page's return target from its ?next=, and the query string that passes it on to the other
 *  auth pages ("" for the default). */
export function nextFrom(searchParams: Record<string, string | string[] | undefined>): { next: string; nextQuery: string } {
  const next = safeNext(typeof searchParams.next === "string" ? searchParams.next : null);
  return { next, nextQuery: next !== "/" ? `?next=${encodeURIComponent(next)}` : "" };
}

export function loginRedirectPath(returnTo: string): string {
  return "/login?next=" + encodeURIComponent(safeNext(returnTo));
}
