// Server-side error reports to Sentry without the SDK: one envelope per failed request, posted to
// the DSN's host. Used only by instrumentation.ts (onRequestError), so nothing of it reaches the
// browser. What an event says: the error (credential patterns redacted), the route, the request
// id and the path without its query. Never headers, cookies, bodies or the client's address.
// See docs/decisions.md ("The site reports server errors with a small envelope POST").

export type ErrorRequest = Readonly<{ path: string; method: string; headers: NodeJS.Dict<string | string[]> }>;
export type ErrorContext = Readonly<{
  routerKind: string;
  routePath: string;
  routeType: string;
  renderSource?: string;
}>;

export type ReportOptions = {
  dsn: string;
  environment?: string;
  release?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
};

type Dsn = { envelopeUrl: string; publicKey: string };

/** parseDsn reads https://<public key>@<host>[/<path>]/<project id>; null when it is not one. */
export function parseDsn(dsn: string): Dsn | null {
  let u: URL;
  try {
    u = new URL(dsn);
  } catch {
    return null;
  }
  const parts = u.pathname.split("/").filter(Boolean);
  const project = parts.pop();
  if ((u.protocol !== "https:" && u.protocol !== "http:") || !u.username || !project || !/^\d+$/.test(project)) {
    return null;
  }
  const prefix = parts.length ? `/${parts.join("/")}` : "";
  return { envelopeUrl: `${u.protocol}//${u.host}${prefix}/api/${project}/envelope/`, publicKey: u.username };
}

// The same credential patterns the edge redacts (edge/internal/telemetry), plus credential-named
// query parameters.
const secretPatterns: RegExp[] = [
  /oit1\.[A-Za-z0-9._~-]+/g,
  /oct_(?:live|test)_[A-Za-z0-9_]+/g,
  /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9._-]*/g,
  /(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]+/g,
  /whsec_[A-Za-z0-9_]+/g,
  /[Bb]earer\s+[A-Za-z0-9._~+/=-]+/g,
  /x-amz-(?:signature|credential|security-token)=[^&\s"]+/gi,
  /postgres(?:ql)?:\/\/[^\s"]+/gi,
  /([?&](?:token|access_token|refresh_token|code|key|api_key|apikey|password)=)[^&\s"]+/gi,
];

export function redact(s: string): string {
  let out = s;
  for (const p of secretPatterns) {
    out = out.replace(p, (m, prefix?: unknown) => (typeof prefix === "string" ? `${prefix}[redacted]` : "[redacted]"));
  }
  return out;
}

function header(h: NodeJS.Dict<string | string[]>, name: string): string {
  const v = h[name];
  return (Array.isArray(v) ? v[0] : v) ?? "";
}

const requestIdPattern = /^[A-Za-z0-9-]{8,64}$/;

type Frame = { function?: string; filename?: string; lineno?: number; colno?: number; in_app: boolean };

function frames(stack: string | undefined): Frame[] {
  const out: Frame[] = [];
  for (const line of (stack ?? "").split("\n").slice(1, 51)) {
    const m = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (!m) continue;
    const filename = redact(m[2] ?? "");
    out.push({
      function: m[1],
      filename,
      lineno: Number(m[3]),
      colno: Number(m[4]),
      in_app: !filename.includes("node_modules") && !filename.startsWith("node:"),
    });
  }
  return out.reverse(); // Sentry lists the outermost frame first
}

/** buildEvent is the Sentry event for one failed request. */
export function buildEvent(error: unknown, request: ErrorRequest, context: ErrorContext, opts: ReportOptions) {
  const err = error instanceof Error ? error : new Error(String(error));
  const digest = (error as { digest?: unknown })?.digest;
  const given = header(request.headers, "x-request-id");
  const tags: Record<string, string> = {
    request_id: requestIdPattern.test(given) ? given : typeof digest === "string" ? digest : "",
    route: context.routePath,
    route_type: context.routeType,
    router: context.routerKind,
  };
  if (typeof digest === "string") tags.digest = digest;
  if (context.renderSource) tags.render_source = context.renderSource;
  return {
    event_id: crypto.randomUUID().replace(/-/g, ""),
    timestamp: Date.now() / 1000,
    platform: "node",
    level: "error",
    logger: "site",
    environment: opts.environment,
    release: opts.release,
    tags,
    request: { method: request.method, url: redact(request.path.split(/[?#]/)[0] ?? "") },
    exception: {
      values: [{ type: err.name || "Error", value: redact(err.message), stacktrace: { frames: frames(err.stack) } }],
    },
    sdk: { name: "octane-bridge.site", version: "1.0.0" },
  };
}

/**
 * reportRequestError posts the event to Sentry; true when it was accepted. It never throws and
 * gives up after timeoutMs (default 2 s): reporting must not make a failing request slower still.
 */
export async function reportRequestError(
  error: unknown,
  request: ErrorRequest,
  context: ErrorContext,
  opts: ReportOptions,
): Promise<boolean> {
  const dsn = parseDsn(opts.dsn);
  if (!dsn) return false;
  const event = buildEvent(error, request, context, opts);
  const body =
    JSON.stringify({ event_id: event.event_id, sent_at: new Date().toISOString() }) +
    "\n" +
    JSON.stringify({ type: "event" }) +
    "\n" +
    JSON.stringify(event) +
    "\n";
  try {
    const res = await (opts.fetch ?? fetch)(dsn.envelopeUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-sentry-envelope",
        "X-Sentry-Auth": `Sentry sentry_version=7, sentry_key=${dsn.publicKey}, sentry_client=octane-bridge.site/1.0.0`,
      },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 2000),
    });
    return res.ok;
  } catch {
    return false;
  }
}
