// Calls to the Go edge (docs/api.md, edge/openapi.yaml). Errors come back as
// {"error":{code,message,request_id}}; the UI shows the message and branches on the code
// (schemas/codes.json), never on the HTTP status text.
import { Code, webText } from "@/lib/codes";
import type { components, operations } from "@/lib/edge-api.gen";

// The edge's bodies are typed from its OpenAPI document (lib/edge-api.gen.ts, `make types`), by
// operationId: EdgeBody<"createImport"> is what POST /v1/imports takes, EdgeOk<"createImport">
// what it answers.

/** A schema of edge/openapi.yaml's components. */
export type EdgeSchema<Name extends keyof components["schemas"]> = components["schemas"][Name];
/** An operation of edge/openapi.yaml, by its operationId. */
export type EdgeOperation = keyof operations;
type Responses<Op extends EdgeOperation> = operations[Op]["responses"];
type Success<Op extends EdgeOperation> = Extract<keyof Responses<Op>, 200 | 201 | 202 | 204>;
/** The JSON body of an operation's success answer (null for 204). */
export type EdgeOk<Op extends EdgeOperation> = {
  [C in Success<Op>]: Responses<Op>[C] extends { content: { "application/json": infer B } } ? B : null;
}[Success<Op>];
/** The JSON request body of an operation (undefined when it takes none). */
export type EdgeBody<Op extends EdgeOperation> =
  NonNullable<operations[Op]["requestBody"]> extends { content: { "application/json": infer B } } ? B : undefined;

/** The error body's fields; also made up here when the edge is unreachable (no request_id then). */
export type EdgeError = Omit<EdgeSchema<"Error">["error"], "code" | "request_id"> & { code: string; request_id?: string };
export type EdgeResult<T> = { ok: true; data: T } | { ok: false; error: EdgeError; status: number };

export async function edgeRequest<T>(
  baseUrl: string,
  path: string,
  opts: { method?: string; token?: string; body?: unknown; fetchImpl?: typeof fetch; cache?: RequestCache } = {},
): Promise<EdgeResult<T>> {
  const f = opts.fetchImpl ?? fetch;
  const headers: Record<string, string> = { accept: "application/json" };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res: Response;
  try {
    res = await f(baseUrl.replace(/\/+$/, "") + path, {
      method: opts.method ?? (opts.body === undefined ? "GET" : "POST"),
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      cache: opts.cache ?? "no-store",
    });
  } catch {
    return {
      ok: false,
      status: 0,
      error: { code: Code.SERVICE_UNAVAILABLE, message: "The import service is unreachable. Try again in a moment." },
    };
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.ok) return { ok: true, data: json as T };
  const err = (json as { error?: unknown } | null)?.error;
  if (err && typeof err === "object" && "code" in err) {
    const e = err as EdgeError;
    return { ok: false, status: res.status, error: { code: String(e.code), message: String(e.message ?? e.code), request_id: e.request_id } };
  }
  if (typeof err === "string") return { ok: false, status: res.status, error: { code: err, message: err } };
  return { ok: false, status: res.status, error: { code: Code.INTERNAL_ERROR, message: `Unexpected response (${res.status}).` } };
}

/** The file's sentence for the code, else the edge's own message. */
export function edgeMessage(e: EdgeError): string {
  return webText(e.code) ?? e.message;
}

/** Blender shows codes like BCDF-GHJK; people type them with spaces, lower case or no dash. */
export function normalizeUserCode(input: string): string | null {
  const letters = input.toUpperCase().replace(/[^A-Z]/g, "");
  if (!/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/.test(letters)) return null;
  return letters.slice(0, 4) + "-" + letters.slice(4);
}

/** What /connect says about a code: malformed (normalizeUserCode refused it), or unknown to the edge. */
export const userCodeText = {
  invalid: "That is not a valid code. It looks like BCDF-GHJK (8 letters).",
  unknown: "This code is unknown or has expired. Start connecting again in Blender.",
} as const;

export function maskKey(prefix: string): string {
  return `${prefix}…`;
}
