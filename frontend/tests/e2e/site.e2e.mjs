// Pages against the Supabase stand-in only (no edge needed).
import { PRO, FREE, OPERATOR, openFirstShader, signIn as signInForm, trafficOutside } from "../../../e2e/lib/site.mjs";

// The attributes of a preview <img> once it has loaded (lazy ones are scrolled into view first).
async function previewAttrs(img) {
  await img.scrollIntoViewIfNeeded();
  return img.evaluate(async (el) => {
    if (!el.complete) await new Promise((r) => { el.addEventListener("load", r, { once: true }); el.addEventListener("error", r, { once: true }); });
    const a = (n) => el.getAttribute(n);
    return { srcset: a("srcset") ?? "", sizes: a("sizes") ?? "", width: a("width"), height: a("height"), loaded: el.naturalWidth > 0, current: el.currentSrc };
  });
}
// The names of the shaders on the first page of the catalog, once it shows them.
async function catalogNames(page) {
  await page.goto("/");
  const names = page.locator("section[aria-label=Results] li h3");
  await names.first().waitFor();
  return names;
}
// Signed in once the header shows the account link (the session reached the server's render).
async function signIn(page, user, next = "/") {
  await signInForm(page, user, next);
  await page.getByRole("link", { name: "Account" }).waitFor();
}

export const tests = [
  {
    name: "browse shows the catalog with fixed-size previews",
    async fn({ newPage, assert, shot }) {
      const { page } = await newPage();
      await page.goto("/");
      await page.getByRole("heading", { level: 1 }).waitFor();
      const cards = page.locator("section[aria-label=Results] li");
      await cards.first().waitFor();
      assert((await cards.count()) >= 1, "no shader cards");
      const box = await cards.first().locator("div.aspect-square").boundingBox();
      assert(box && Math.abs(box.width - box.height) < 2, "preview box is not square");
      // The grid loads the publisher's small JPEG renditions through srcset, with a fixed box (CLS 0).
      const img = await previewAttrs(cards.locator("img").first());
      assert(/-384\.jpg 384w, .*-768\.jpg 768w$/.test(img.srcset) && img.sizes, `grid srcset/sizes: ${img.srcset} | ${img.sizes}`);
      assert(img.width && img.width === img.height, `grid preview width/height: ${img.width}×${img.height}`);
      assert(img.loaded && /-(384|768)\.jpg$/.test(img.current), `grid preview did not load a rendition: ${img.current}`);
      await page.waitForLoadState("networkidle");
      await shot(page, "browse");
    },
  },
  {
    name: "search is debounced into the URL and filters apply",
    async fn({ newPage, assert, shot }) {
      const { page } = await newPage();
      const names = await catalogNames(page);
      const first = (await names.first().textContent()).trim();
      const word = first.split(/\s+/)[0];
      await page.getByRole("searchbox", { name: "Search shaders" }).fill(word.toLowerCase());
      await page.waitForURL((u) => u.searchParams.get("q") === word.toLowerCase());
      await names.first().waitFor();
      const all = await names.allTextContents();
      assert(all.some((n) => n.toLowerCase().includes(word.toLowerCase())), `no result contains ${word}: ${all.join(", ")}`);
      await page.getByRole("button", { name: "Free", exact: true }).click();
      await page.waitForURL((u) => u.searchParams.get("tier") === "free");
      await page.waitForLoadState("networkidle");
      const badges = await page.locator("section[aria-label=Results] li .rounded-full").allTextContents().catch(() => []);
      assert(!badges.includes("Pro"), "a Pro shader is listed under Free");
      await shot(page, "browse-search");
    },
  },
  {
    name: "a typo finds what was meant and says which words it used",
    async fn({ newPage, assert, shot }) {
      const { page } = await newPage();
      const names = await catalogNames(page);
      // The longest word on the first page, misspelt by dropping its second-to-last letter.
      const words = (await names.allTextContents()).flatMap((n) => n.toLowerCase().match(/[a-z]{5,}/g) ?? []);
      const word = words.sort((a, b) => b.length - a.length)[0];
      assert(word, "no word of five letters or more on the first page");
      const typo = word.slice(0, -2) + word.slice(-1);
      await page.goto("/?q=" + typo);
      const note = page.getByText("including close matches for");
      await note.waitFor();
      const said = (await note.textContent()).toLowerCase();
      assert(said.includes(`“${word}”`), `"${typo}" was not corrected to "${word}": ${said}`);
      const found = await names.allTextContents();
      assert(found.some((n) => n.toLowerCase().includes(word)), `no result for "${typo}" contains ${word}: ${found.join(", ")}`);
      await shot(page, "browse-typo");
    },
  },
  {
    name: "empty search shows a helpful empty state",
    async fn({ newPage }) {
      const { page } = await newPage();
      await page.goto("/?q=zzqxvvkkj");
      await page.getByText("No shaders match").waitFor();
      await page.getByRole("link", { name: "Clear all filters" }).waitFor();
    },
  },
  {
    name: "shader page shows specs and asks anonymous visitors to sign in",
    async fn({ newPage, shot }) {
      const { page } = await newPage();
      await page.goto("/");
      await openFirstShader(page);
      await page.getByRole("heading", { name: "Specifications" }).waitFor();
      await page.getByRole("link", { name: "Sign in to import" }).waitFor();
      await page.waitForLoadState("networkidle");
      await shot(page, "shader");
    },
  },
  {
    name: "shader page shows the 1024 preview with the 768 rendition as a smaller candidate",
    async fn({ newPage, assert }) {
      const { page } = await newPage();
      await page.goto("/");
      await openFirstShader(page, "li:has(img) a");
      const img = await previewAttrs(page.locator("article img").first());
      assert(/-768\.jpg 768w, .*\.webp 1024w$/.test(img.srcset) && img.sizes, `page srcset/sizes: ${img.srcset} | ${img.sizes}`);
      assert(img.width === "1024" && img.height === "1024", `page preview width/height: ${img.width}×${img.height}`);
      assert(img.loaded && /(-768\.jpg|\.webp)$/.test(img.current), `page preview did not load: ${img.current}`);
    },
  },
  {
    name: "protected pages redirect to sign-in with the return path",
    async fn({ newPage, assert }) {
      const { page } = await newPage();
      await page.goto("/connect?user_code=BCDF-GHJK");
      const u = new URL(page.url());
      assert(u.pathname === "/login", `not redirected: ${page.url()}`);
      assert(u.searchParams.get("next") === "/connect?user_code=BCDF-GHJK", `wrong next: ${u.searchParams.get("next")}`);
    },
  },
  {
    name: "wrong password shows the GoTrue error in words",
    async fn({ newPage }) {
      const { page } = await newPage();
      await page.goto("/login");
      await page.getByLabel("E-mail").fill(FREE.email);
      await page.getByLabel("Password").fill("wrong-password");
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByText("Wrong e-mail or password.").waitFor();
    },
  },
  {
    name: "unsubscribed user hits the paywall on a Pro shader; account offers plans",
    async fn({ newPage, shot, assert }) {
      const { page } = await newPage();
      await signIn(page, FREE, "/?tier=pro");
      await openFirstShader(page);
      await page.getByTestId("paywall").waitFor();
      await shot(page, "shader-paywall");
      await page.goto("/account");
      const status = await page.getByTestId("subscription-status").textContent();
      assert(/free plan/i.test(status), `unexpected status: ${status}`);
      await page.getByRole("button", { name: "Subscribe" }).first().waitFor();
      await shot(page, "account-free");
    },
  },
  {
    name: "subscribed user sees Pro on the account page and the Import panel",
    async fn({ newPage, shot, assert }) {
      const { page } = await newPage();
      await signIn(page, PRO, "/account");
      const status = await page.getByTestId("subscription-status").textContent();
      assert(/Active|Trial/.test(status), `unexpected status: ${status}`);
      await page.getByRole("button", { name: "Manage billing" }).waitFor();
      await page.waitForLoadState("networkidle");
      await shot(page, "account-pro");
      await page.goto("/?tier=pro");
      await openFirstShader(page);
      await page.getByRole("button", { name: /Import to Blender/ }).waitFor();
      await page.getByRole("button", { name: "Favourite" }).click();
      await page.getByRole("button", { name: "Favourited" }).waitFor();
      await page.reload();
      await page.getByRole("button", { name: "Favourited" }).waitFor();
      await page.getByRole("button", { name: "Favourited" }).click();
      await page.getByRole("button", { name: "Favourite", exact: true }).waitFor();
    },
  },
  {
    name: "sign up creates an account and signs in",
    async fn({ newPage }) {
      const { page } = await newPage();
      await page.goto("/signup");
      await page.getByLabel("E-mail").fill(`web-${Date.now()}@example.com`);
      await page.getByLabel("Password").fill("a-long-enough-password");
      await page.getByRole("button", { name: "Create account" }).click();
      // The stand-in autoconfirms like `supabase start`; a project with confirmations shows the e-mail notice.
      await Promise.race([
        page.getByRole("link", { name: "Account" }).waitFor(),
        page.getByText("We sent a confirmation link").waitFor(),
      ]);
      if (await page.getByRole("link", { name: "Account" }).isVisible()) {
        await page.getByRole("button", { name: "Sign out" }).click();
        await page.getByRole("link", { name: "Sign in" }).waitFor();
      }
    },
  },
  {
    name: "help page in both themes (the system's, or the one picked by the class on <html>) and bridge discovery document",
    async fn({ newPage, assert, baseUrl, shot }) {
      const res = await fetch(new URL("/.well-known/octane-bridge.json", baseUrl));
      const j = await res.json();
      assert(j.edge_url && j.supabase_url && j.supabase_anon_key, "discovery document incomplete");
      const { page } = await newPage({ colorScheme: "light" });
      await page.goto("/help");
      await page.getByRole("heading", { name: /three steps/ }).waitFor();
      await shot(page, "help-light");
      // The palette follows the system until the theme class on <html> overrides it, both ways.
      const background = (p) => p.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const light = await background(page);
      const { page: darkSystem } = await newPage({ colorScheme: "dark" });
      await darkSystem.goto("/help");
      const dark = await background(darkSystem);
      assert(light !== dark, `the same background (${light}) in a light and a dark system`);
      await page.evaluate(() => document.documentElement.classList.add("dark"));
      await darkSystem.evaluate(() => document.documentElement.classList.add("light"));
      const [picked, pickedLight] = [await background(page), await background(darkSystem)];
      assert(picked === dark && pickedLight === light, `.dark on a light system: ${picked} (want ${dark}); .light on a dark system: ${pickedLight} (want ${light})`);
    },
  },
  {
    name: "CSP limits connect-src to the site, Supabase, the edge and the upload bucket",
    async fn({ baseUrl, assert }) {
      const res = await fetch(baseUrl + "/");
      const csp = res.headers.get("content-security-policy") ?? "";
      const connect = csp.split(";").map((s) => s.trim()).find((s) => s.startsWith("connect-src")) ?? "";
      const sources = connect.split(/\s+/).slice(1);
      const sb = new URL(process.env.E2E_SUPABASE_URL ?? "http://127.0.0.1:54321");
      const edge = new URL(process.env.E2E_EDGE_URL ?? "http://127.0.0.1:8787");
      // The bucket the operator's publish page PUTs upload parts to (NEXT_PUBLIC_UPLOAD_URL; lib/env.ts's local default).
      const bucket = new URL(process.env.NEXT_PUBLIC_UPLOAD_URL || "http://127.0.0.1:9000");
      const allowed = new Set(["'self'", sb.origin, `ws://${sb.host}`, `wss://${sb.host}`, edge.origin, bucket.origin]);
      assert(sources.length > 0, "no connect-src");
      for (const s of sources) assert(allowed.has(s), `unexpected connect-src source ${s}`);
    },
  },
  {
    name: "CSP: scripts only by a per-request nonce (no 'unsafe-inline'); Permissions-Policy denies Local Network Access",
    async fn({ baseUrl, newPage, assert }) {
      const nonces = [];
      for (const path of ["/", "/login"]) {
        const res = await fetch(baseUrl + path);
        const csp = res.headers.get("content-security-policy") ?? "";
        const script = csp.split(";").map((s) => s.trim()).find((s) => s.startsWith("script-src")) ?? "";
        const nonce = script.match(/'nonce-([A-Za-z0-9+/=]+)'/)?.[1];
        assert(nonce && !script.includes("unsafe-inline") && script.includes("'strict-dynamic'"), `${path} script-src: ${script}`);
        const html = await res.text();
        const tags = html.match(/<script\b[^>]*>/g) ?? [];
        assert(tags.length > 0, `${path}: no scripts`);
        const bare = tags.filter((t) => !t.includes(`nonce="${nonce}"`));
        assert(bare.length === 0, `${path}: scripts without the nonce: ${bare.slice(0, 3).join(" ")}`);
        const pp = res.headers.get("permissions-policy") ?? "";
        assert(/loopback-network=\(\)/.test(pp) && /local-network=\(\)/.test(pp), `Permissions-Policy: ${pp}`);
        nonces.push(nonce);
      }
      assert(nonces[0] !== nonces[1], "the nonce is not fresh per request");
      // The pages work under it: no CSP violation while they load and hydrate.
      const { page } = await newPage();
      await page.addInitScript(() => {
        window.__cspViolations = [];
        document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      await page.goto("/login");
      await page.getByLabel("E-mail").fill("someone@example.com"); // hydrated: the form is live
      await page.goto("/");
      await page.locator("section[aria-label=Results] li").first().waitFor();
      const violations = await page.evaluate(() => window.__cspViolations);
      assert(violations.length === 0, `CSP violations: ${violations.join(", ")}`);
    },
  },
  {
    name: "operator pages: sign-in when signed out, not found for an artist, the dashboard for the operator",
    async fn({ newPage, assert, shot }) {
      const { page } = await newPage();
      await page.goto("/operator/analytics?days=7");
      const u = new URL(page.url());
      assert(u.pathname === "/login" && u.searchParams.get("next") === "/operator/analytics?days=7", `signed out: ${page.url()}`);
      await signIn(page, PRO, "/account");
      await page.getByTestId("your-numbers").waitFor(); // the artist's own numbers on the account page
      assert((await page.getByRole("link", { name: "Operator", exact: true }).count()) === 0, "an artist's header links the operator pages");
      for (const path of ["/operator", "/operator/analytics", "/operator/analytics?days=365"]) {
        const res = await page.goto(path);
        await page.getByRole("heading", { name: "Not found" }).waitFor();
        assert(res.status() === 404 || res.status() === 200, `artist: ${path} answered ${res.status()}`);
        assert((await page.getByTestId("usage-dashboard").count()) === 0, `artist sees the dashboard on ${path}`);
        assert((await page.getByRole("navigation", { name: "Operator" }).count()) === 0, `artist sees the operator menu on ${path}`);
      }

      const op = await newPage();
      await signIn(op.page, OPERATOR, "/");
      await op.page.getByRole("link", { name: "Operator", exact: true }).click(); // the header's link, for operators only
      await op.page.waitForURL((url) => url.pathname === "/operator/analytics");
      await op.page.getByRole("heading", { name: "Usage analytics" }).waitFor();
      await op.page.getByTestId("usage-dashboard").waitFor();
      await op.page.locator("[role=img] svg").first().waitFor(); // a chart drew
      await op.page.getByRole("link", { name: "90 days" }).click();
      await op.page.waitForURL((url) => url.searchParams.get("days") === "90");
      await op.page.getByRole("link", { name: "90 days", exact: true }).and(op.page.locator("[aria-current=page]")).waitFor();
      await shot(op.page, "operator-analytics");
    },
  },
  {
    name: "no request or WebSocket goes anywhere but the site, Supabase, the edge and previews (no loopback port of the artist's machine)",
    last: true,
    async fn({ requests, allowedOrigins, assert }) {
      assert(requests.length > 20, `too few requests recorded (${requests.length}); run after the page tests`);
      assert(requests.some((r) => r.url.startsWith("ws")), "no WebSocket recorded: the Realtime pages should have opened one");
      const bad = trafficOutside(requests, allowedOrigins);
      assert(bad.length === 0, `requests outside the stack's origins: ${bad.slice(0, 5).map((b) => `${b.url} (from ${b.from})`).join(", ")}`);
    },
  },
];
