// The site as a test drives it: the demo accounts of supabase/seed.sql and signing in through the
// login form. Shared by the full-stack runner (e2e/run.mjs) and the site's own e2e tests.

export const PRO = { email: "pro@octane.local", password: "octane-demo-pro", id: "11111111-1111-4111-8111-111111111111" };
export const FREE = { email: "free@octane.local", password: "octane-demo-free", id: "22222222-2222-4222-8222-222222222222" };
export const OPERATOR = { email: "operator@octane.local", password: "octane-demo-operator", id: "99999999-9999-4999-8999-999999999999" };

/** Signs user in on /login and waits until the site has sent the browser on to next. */
export async function signIn(page, user, next = "/") {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel("E-mail").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((u) => u.pathname === new URL(next, "http://x").pathname);
}

/** Opens the first shader the browse grid on the page lists (link: which of its results' links) and waits for its page. */
export async function openFirstShader(page, link = "li a") {
  await page.locator(`section[aria-label=Results] ${link}`).first().click();
  await page.waitForURL(/\/shaders\//);
}

/**
 * The recorded page traffic ({url, ...}: requests and WebSockets) that went to an origin not in
 * `allowed` (a WebSocket counts as its http/https origin). Both end-to-end suites end with it:
 * the site talks to the stack's own services only, never to another port of the artist's
 * machine (the rule "no browser → localhost traffic") nor anywhere else.
 */
export function trafficOutside(traffic, allowed) {
  const origins = new Set([...allowed].map((u) => new URL(u).origin));
  return traffic.filter((r) => {
    let u;
    try { u = new URL(r.url); } catch { return false; }
    if (!["http:", "https:", "ws:", "wss:"].includes(u.protocol)) return false; // data:, blob:
    return !origins.has(`${u.protocol.replace("ws", "http")}//${u.host}`);
  });
}
