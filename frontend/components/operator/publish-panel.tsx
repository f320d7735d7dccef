"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { edgeFromBrowser } from "@/lib/edge-browser";
import type { EdgeBody } from "@/lib/edge";
import { env } from "@/lib/env";
import { readPublishJob, requestPublish, setShaderPublished, type PublishJobState } from "@/lib/browser-data";
import { Code, webText } from "@/lib/codes";
import { uploadPackage, type EdgeCall, type Progress, type UploadOperation } from "@/lib/publish-upload";
import type { CatalogShader } from "@/lib/data/publishing";

// The operator's publishing page: pick a package zip, upload it in parts (resumable: the same
// file picked again continues from the parts the bucket holds), then follow the publish job the
// worker runs (validate, vet in Blender, Octane graph, sign, register) line by line.

const STEPS = ["download", "validate", "vet", "sign", "register", "done"] as const;
const STEP_WORDS: Record<string, string> = {
  download: "Read the upload", validate: "Validate", vet: "Vet in Blender (Octane graph)", sign: "Sign", register: "Register", done: "Published",
};
const PENDING_KEY = "octane.publish.pending"; // the file of an upload that did not finish
const JOB_KEY = "octane.publish.job"; // the job this page follows
const FINAL = new Set(["published", "refused", "failed"]);

type Pending = { name: string; size: number; newVersionOf: string | null };

// The upload module names its own request and answer types (lib/publish-upload.ts).
const edge: EdgeCall = <Op extends UploadOperation>(path: string, body: EdgeBody<Op>) => edgeFromBrowser<Op>(path, { body });

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

function readPending(): Pending | null {
  try {
    return JSON.parse(localStorage.getItem(PENDING_KEY) ?? "null");
  } catch {
    return null;
  }
}

export function PublishPanel({ catalog }: { catalog: CatalogShader[] }) {
  const router = useRouter();
  const fileRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [newVersionOf, setNewVersionOf] = useState<string | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [phase, setPhase] = useState<"idle" | "uploading" | "queued" | "error">("idle");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [job, setJob] = useState<PublishJobState | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    // Browser storage is read after hydration (the server has none).
    /* eslint-disable react-hooks/set-state-in-effect */
    setPending(readPending());
    setJobId(localStorage.getItem(JOB_KEY));
    /* eslint-enable react-hooks/set-state-in-effect */
  }, []);

  // Follow the job: the worker appends every line to the row; poll it until it is final.
  useEffect(() => {
    if (!jobId) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      const j = await readPublishJob(jobId).catch(() => null);
      if (stop) return;
      if (j) setJob(j);
      if (!j || !FINAL.has(j.status)) timer = setTimeout(tick, 1000);
    };
    void tick();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [jobId]);

  const chooseNewVersion = useCallback((slug: string | null) => {
    setNewVersionOf(slug);
    fileRef.current?.scrollIntoView({ block: "center" });
    fileRef.current?.focus();
  }, []);

  async function start() {
    if (!file) return;
    setError(null);
    setPhase("uploading");
    setJob(null);
    const p: Pending = { name: file.name, size: file.size, newVersionOf };
    localStorage.setItem(PENDING_KEY, JSON.stringify(p));
    setPending(p);
    try {
      const res = await uploadPackage(file, { edge, onProgress: setProgress });
      const queued = await requestPublish(res.key, file.name, file.size, newVersionOf);
      if ("error" in queued) {
        throw new Error(queued.error === Code.NOT_FOUND ? "That shader does not exist" : (webText(queued.error) ?? `The publish job could not be queued (${queued.error})`));
      }
      localStorage.removeItem(PENDING_KEY);
      setPending(null);
      localStorage.setItem(JOB_KEY, queued.id);
      setJobId(queued.id);
      setPhase("queued");
    } catch (e) {
      setError(`${e instanceof Error ? e.message : String(e)}. Pick the same file again to resume: the parts already stored are kept.`);
      setPhase("error");
    }
  }

  async function toggle(slug: string, published: boolean) {
    const code = await setShaderPublished(slug, published);
    if (code === Code.CONFLICT) setNotice(`${slug} has no version to show.`);
    else if (code) setNotice(`The change was refused (${code}).`);
    else setNotice(`${slug} is ${published ? "listed again" : "unpublished"}.`);
    router.refresh(); // the catalog is read on the server
  }

  const pct = progress && progress.total > 0 ? Math.round((progress.sent / progress.total) * 100) : 0;
  const resuming = pending && file && pending.name === file.name && pending.size === file.size;
  const problems = job?.log.filter((l) => l.problem) ?? [];

  return (
    <div className="flex flex-col gap-6">
      <section className="flex flex-col gap-3 rounded-lg border p-4" aria-labelledby="upload-title">
        <h2 id="upload-title" className="font-semibold">
          {newVersionOf ? `Publish a new version of ${newVersionOf}` : "Publish a package"}
        </h2>
        {!env.uploadUrl ? (
          <Alert tone="error">Browser uploads are not configured (NEXT_PUBLIC_UPLOAD_URL, docs/deploy.md): publish with the publish CLI.</Alert>
        ) : null}
        {pending && phase !== "uploading" ? (
          <Alert data-testid="resume-hint">
            The upload of {pending.name} ({mb(pending.size)}) did not finish. Pick the same file to resume from the parts already stored.
          </Alert>
        ) : null}
        <div className="flex flex-wrap items-center gap-3">
          <input
            ref={fileRef}
            type="file"
            accept=".zip,application/zip"
            aria-label="Package zip"
            disabled={phase === "uploading"}
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setProgress(null);
              setPhase("idle");
            }}
          />
          <Button onClick={start} disabled={!file || phase === "uploading" || !env.uploadUrl}>
            {resuming ? "Resume upload and publish" : "Upload and publish"}
          </Button>
          {newVersionOf ? (
            <Button variant="ghost" onClick={() => chooseNewVersion(null)} disabled={phase === "uploading"}>
              Any shader
            </Button>
          ) : null}
        </div>
        {progress ? (
          <div className="flex flex-col gap-1" data-testid="upload-progress" data-parts-done={progress.partsDone} data-part-count={progress.partCount} data-reused={progress.reused}>
            <div role="progressbar" aria-label="Upload" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} className="h-2 w-full overflow-hidden rounded bg-muted">
              <div className="h-full bg-primary transition-[width]" style={{ width: `${pct}%` }} />
            </div>
            <p className="text-sm text-muted-foreground">
              {mb(progress.sent)} of {mb(progress.total)} · part {progress.partsDone} of {progress.partCount}
              {progress.reused ? ` · ${progress.reused} already stored, not sent again` : ""}
            </p>
          </div>
        ) : null}
        {error ? <Alert tone="error">{error}</Alert> : null}
      </section>

      {job ? (
        <section className="flex flex-col gap-3 rounded-lg border p-4" data-testid="publish-job" data-status={job.status} aria-labelledby="job-title">
          <h2 id="job-title" className="font-semibold">
            {job.status === "published" ? "Published" : job.status === "refused" ? "Refused" : job.status === "failed" ? "Publishing failed" : "Publishing…"}
          </h2>
          <ol className="flex flex-wrap gap-2 text-sm">
            {STEPS.map((s) => {
              const at = STEPS.indexOf(job.step as (typeof STEPS)[number]);
              const i = STEPS.indexOf(s);
              const state = job.status === "published" || i < at ? "done" : i === at ? (FINAL.has(job.status) ? "stopped" : "running") : "todo";
              return (
                <li key={s} data-step={s} data-state={state}>
                  <Badge variant={state === "done" ? "default" : "outline"}>
                    {state === "done" ? "✓ " : state === "stopped" ? "✗ " : state === "running" ? "… " : ""}
                    {STEP_WORDS[s]}
                  </Badge>
                </li>
              );
            })}
          </ol>
          {job.status === "published" && job.shader_slug ? (
            <Alert tone="success">
              {job.shader_slug} {job.version} is in the catalog. <Link className="underline" href={`/shaders/${job.shader_slug}`}>View it on the site</Link>
            </Alert>
          ) : null}
          {job.status === "refused" ? (
            <Alert tone="error">
              Nothing was published: {problems.length} problem{problems.length === 1 ? "" : "s"} ({job.error_code}). Fix {problems.length === 1 ? "it" : "them"} and upload the package again.
            </Alert>
          ) : null}
          <ol className="max-h-80 overflow-auto rounded bg-muted p-3 font-mono text-xs" aria-label="Publish log">
            {job.log.map((l, i) => {
              // A problem's code says how to fix it, in the words of schemas/codes.json.
              const fix = l.problem ? webText(l.code) : undefined;
              return (
                <li key={i} data-testid="job-line" data-problem={l.problem ? "true" : "false"} className={l.problem ? "text-danger" : ""}>
                  {l.text}
                  {fix ? <span data-testid="job-line-fix" className="block font-sans text-[0.7rem] text-muted-foreground">{fix}</span> : null}
                </li>
              );
            })}
          </ol>
        </section>
      ) : null}

      <section className="flex flex-col gap-3" aria-labelledby="catalog-title">
        <h2 id="catalog-title" className="font-semibold">Catalog</h2>
        {notice ? <Alert>{notice}</Alert> : null}
        <table className="w-full text-sm">
          <thead className="text-left text-muted-foreground">
            <tr><th className="py-1">Shader</th><th>Versions</th><th>Listed</th><th /></tr>
          </thead>
          <tbody>
            {catalog.map((s) => (
              <tr key={s.slug} data-testid="catalog-row" data-slug={s.slug} className="border-t">
                <td className="py-2">
                  <span className="font-medium">{s.name}</span> <span className="text-muted-foreground">{s.slug}</span>
                </td>
                <td>{s.versions.join(", ") || "—"}</td>
                <td>{s.published ? "yes" : "no"}</td>
                <td className="flex justify-end gap-2 py-1">
                  <Button size="sm" variant="outline" onClick={() => chooseNewVersion(s.slug)}>Publish a new version</Button>
                  <Button size="sm" variant={s.published ? "destructive" : "outline"} onClick={() => toggle(s.slug, !s.published)}>
                    {s.published ? "Unpublish" : "Publish again"}
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
