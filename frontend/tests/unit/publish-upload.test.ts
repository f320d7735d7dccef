// @vitest-environment node
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { uploadIdOf, uploadPackage, FINGERPRINT_BYTES, type CompletedPart, type EdgeCall, type PutPart, type StoredPart } from "@/lib/publish-upload";
import type { EdgeResult } from "@/lib/edge";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const MiB = 1 << 20;

function file(size: number): { blob: Blob; bytes: Uint8Array<ArrayBuffer> } {
  const bytes = new Uint8Array(new ArrayBuffer(size));
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  return { blob: new Blob([bytes]), bytes };
}

type Body = {
  id?: string; size?: number; upload?: unknown; upload_id?: string;
  part?: { part_number: number; size: number; sha256: string }; parts?: CompletedPart[];
};

/** An edge and a bucket in memory: the parts stored survive between calls, as in S3. */
function fakeEdge(partSize: number, stored: StoredPart[] = []) {
  const calls: { path: string; body: Body }[] = [];
  const puts: number[] = [];
  const ok = <T>(data: unknown) => ({ ok: true, data }) as EdgeResult<T>;
  const edge: EdgeCall = async <T>(path: string, raw: unknown) => {
    const body = raw as Body;
    calls.push({ path, body });
    if (path === "/v1/uploads") {
      return ok<T>({ key: `incoming/${body.id}.zip`, content_type: "application/zip", upload_id: "u1", part_size: partSize, part_count: Math.ceil(body.size! / partSize), stored_parts: stored });
    }
    if (path === "/v1/uploads/parts") {
      const p = body.part!;
      return ok<T>({ method: "PUT", url: `https://bucket/x?partNumber=${p.part_number}`, headers: { "X-Amz-Checksum-Sha256": p.sha256 }, expires_at: "" });
    }
    if (path === "/v1/uploads/complete") return ok<T>(null);
    return { ok: false, status: 404, error: { code: "NOT_FOUND", message: path } };
  };
  const put: PutPart = async (req, body, onSent) => {
    const n = Number(new URL(req.url).searchParams.get("partNumber"));
    puts.push(n);
    onSent(body.size);
    return `etag-${n}`;
  };
  return { edge, put, calls, puts };
}

describe("resumable package upload", () => {
  it("names the file by its size and first 8 MiB, so the same file finds its upload again", async () => {
    const { blob, bytes } = file(FINGERPRINT_BYTES + 10);
    const id = await uploadIdOf(blob);
    expect(id).toBe(sha(new TextEncoder().encode(`${bytes.length}:${sha(bytes.subarray(0, FINGERPRINT_BYTES))}`)));
    expect(await uploadIdOf(new Blob([bytes]))).toBe(id);
    expect(await uploadIdOf(new Blob([bytes.subarray(0, bytes.length - 1)]))).not.toBe(id);
  });

  it("sends every part with its SHA-256 and completes with the parts in order", async () => {
    const { blob, bytes } = file(12 * MiB + 5);
    const f = fakeEdge(5 * MiB);
    const res = await uploadPackage(blob, { edge: f.edge, put: f.put });
    expect(res.uploaded).toEqual([1, 2, 3]);
    expect(res.reused).toEqual([]);
    const parts = f.calls.filter((c) => c.path === "/v1/uploads/parts").map((c) => c.body.part!);
    expect(parts.map((p) => [p.part_number, p.size])).toEqual(expect.arrayContaining([[1, 5 * MiB], [2, 5 * MiB], [3, 2 * MiB + 5]]));
    expect(parts.find((p) => p.part_number === 3)!.sha256).toBe(sha(bytes.subarray(10 * MiB)));
    const done = f.calls.find((c) => c.path === "/v1/uploads/complete")!.body;
    expect(done.parts!.map((p) => p.part_number)).toEqual([1, 2, 3]);
    expect(done.upload).toEqual({ kind: "incoming", id: await uploadIdOf(blob), size: bytes.length });
  });

  it("resumes: a stored part with the same checksum is not sent again, one with another checksum is", async () => {
    const { blob, bytes } = file(12 * MiB + 5);
    const stored: StoredPart[] = [
      { part_number: 1, size: 5 * MiB, etag: "kept-1", sha256: sha(bytes.subarray(0, 5 * MiB)) },
      { part_number: 2, size: 5 * MiB, etag: "stale-2", sha256: "0".repeat(64) },
    ];
    const f = fakeEdge(5 * MiB, stored);
    const seen: number[] = [];
    const res = await uploadPackage(blob, { edge: f.edge, put: f.put, onProgress: (p) => seen.push(p.reused) });
    expect(f.puts.sort()).toEqual([2, 3]);
    expect(res.reused).toEqual([1]);
    expect(Math.max(...seen)).toBe(1);
    const done = f.calls.find((c) => c.path === "/v1/uploads/complete")!.body.parts!;
    expect(done[0]).toEqual({ part_number: 1, etag: "kept-1", sha256: stored[0]!.sha256 });
    expect(done[1]!.etag).toBe("etag-2");
  });

  it("stops with the edge's message when a call is refused", async () => {
    const { blob } = file(100);
    const edge: EdgeCall = async () => ({ ok: false, status: 403, error: { code: "INSUFFICIENT_PERMISSIONS", message: "only the library operator can upload" } });
    await expect(uploadPackage(blob, { edge })).rejects.toThrow(/only the library operator/);
  });
});
