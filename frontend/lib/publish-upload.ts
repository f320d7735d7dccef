// The operator page's resumable package upload (docs/api.md "Uploads"): the edge presigns each
// part with its length and SHA-256 signed in, the browser PUTs the part straight to the bucket,
// and the same file picked again (a dropped connection, a closed tab) finds its unfinished upload
// and skips the parts the bucket already holds with the same checksum.
import type { EdgeBody, EdgeOk, EdgeResult, EdgeSchema } from "@/lib/edge";

/** The file's upload id hashes its size and its first 8 MiB: cheap, and the same for the same file. */
export const FINGERPRINT_BYTES = 8 << 20;
/** Parts sent at once. */
export const CONCURRENCY = 3;

// The edge's bodies, from edge/openapi.yaml (lib/edge-api.gen.ts).
export type SignedRequest = EdgeSchema<"SignedRequest">;
export type IncomingUpload = Extract<EdgeSchema<"UploadRequest">, { kind: "incoming" }>;
export type Upload = EdgeOk<"uploadCreate">;
export type StoredPart = NonNullable<Upload["stored_parts"]>[number];
export type CompletedPart = EdgeBody<"uploadComplete">["parts"][number];
export type UploadOperation = "uploadCreate" | "uploadPart" | "uploadComplete";

/** POSTs the operation's JSON body to the edge as the signed-in operator (lib/edge-browser.ts in the page). */
export type EdgeCall = <Op extends UploadOperation>(path: string, body: EdgeBody<Op>) => Promise<EdgeResult<EdgeOk<Op>>>;
/** Sends one presigned PUT and returns the part's ETag; onSent reports bytes sent so far. */
export type PutPart = (req: SignedRequest, body: Blob, onSent: (bytes: number) => void) => Promise<string>;

export class UploadError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

export function hex(buf: ArrayBuffer): string {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(data: ArrayBuffer | Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", data));
}

/** 64 hex digits naming the upload of this file: SHA-256 of "<size>:<SHA-256 of its first 8 MiB>". */
export async function uploadIdOf(file: Blob): Promise<string> {
  const head = await sha256Hex(await file.slice(0, FINGERPRINT_BYTES).arrayBuffer());
  return sha256Hex(new TextEncoder().encode(`${file.size}:${head}`));
}

/** Part n (1-based) of the file. */
export function partOf(file: Blob, n: number, partSize: number): Blob {
  return file.slice((n - 1) * partSize, Math.min(n * partSize, file.size));
}

/** PUTs with XMLHttpRequest: fetch reports no upload progress. The ETag header must be exposed (bucket CORS). */
export const xhrPut: PutPart = (req, body, onSent) =>
  new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open(req.method, req.url);
    for (const [k, v] of Object.entries(req.headers)) {
      if (k.toLowerCase() !== "content-length") x.setRequestHeader(k, v); // the browser sets it from the body
    }
    x.upload.onprogress = (e) => onSent(e.loaded);
    x.onload = () => {
      const etag = (x.getResponseHeader("ETag") ?? "").replace(/"/g, "");
      if (x.status >= 200 && x.status < 300 && etag) resolve(etag);
      else reject(new UploadError(`the bucket refused a part (${x.status}${etag ? "" : ", no ETag"})`));
    };
    x.onerror = () => reject(new UploadError("the connection to the bucket dropped"));
    x.onabort = () => reject(new UploadError("the upload was stopped"));
    x.send(body);
  });

export type Progress = { sent: number; total: number; partsDone: number; partCount: number; reused: number };

export type UploadResult = { key: string; reused: number[]; uploaded: number[] };

async function must<T>(r: Promise<EdgeResult<T>>): Promise<T> {
  const res = await r;
  if (!res.ok) throw new UploadError(res.error.message, res.error.code);
  return res.data;
}

/**
 * Uploads `file` as an incoming package: starts (or finds) its multipart upload, skips the parts
 * the bucket holds with the same SHA-256, sends the others CONCURRENCY at a time, and completes.
 */
export async function uploadPackage(
  file: Blob,
  opts: { edge: EdgeCall; put?: PutPart; onProgress?: (p: Progress) => void; signal?: AbortSignal },
): Promise<UploadResult> {
  const put = opts.put ?? xhrPut;
  const upload: IncomingUpload = { kind: "incoming", id: await uploadIdOf(file), size: file.size };
  // The same file again answers its unfinished upload with the parts already stored.
  const up = await must(opts.edge<"uploadCreate">("/v1/uploads", upload));
  // An incoming package always goes in parts (the spec's fields are optional for a catalog object's single PUT).
  const { upload_id, part_size, part_count } = up;
  if (!upload_id || !part_size || !part_count) throw new UploadError("the edge did not start an upload in parts");
  const have = new Map((up.stored_parts ?? []).map((p) => [p.part_number, p]));
  const done: CompletedPart[] = new Array(part_count);
  const sent = new Array<number>(part_count).fill(0);
  const reused: number[] = [];
  const uploaded: number[] = [];
  const report = () =>
    opts.onProgress?.({
      sent: sent.reduce((a, b) => a + b, 0), total: file.size, partCount: part_count,
      partsDone: done.filter(Boolean).length, reused: reused.length,
    });
  report();
  let next = 1;
  const worker = async () => {
    while (next <= part_count) {
      if (opts.signal?.aborted) throw new UploadError("the upload was stopped");
      const n = next++;
      const blob = partOf(file, n, part_size);
      const sha = await sha256Hex(await blob.arrayBuffer());
      const old = have.get(n);
      if (old && old.sha256 === sha && old.size === blob.size) {
        done[n - 1] = { part_number: n, etag: old.etag, sha256: sha };
        sent[n - 1] = blob.size;
        reused.push(n);
        report();
        continue;
      }
      const req = await must(opts.edge<"uploadPart">("/v1/uploads/parts", {
        upload, upload_id, part: { part_number: n, size: blob.size, sha256: sha },
      }));
      const etag = await put(req, blob, (b) => { sent[n - 1] = b; report(); });
      sent[n - 1] = blob.size;
      done[n - 1] = { part_number: n, etag, sha256: sha };
      uploaded.push(n);
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, part_count) }, worker));
  const res = await opts.edge<"uploadComplete">("/v1/uploads/complete", { upload, upload_id, parts: done });
  if (!res.ok) throw new UploadError(res.error.message, res.error.code);
  return { key: up.key, reused: reused.sort((a, b) => a - b), uploaded: uploaded.sort((a, b) => a - b) };
}
