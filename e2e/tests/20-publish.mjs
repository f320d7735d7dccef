// Publishing from the browser (issue 20 item 2): the operator's page uploads a package in parts
// straight to the bucket through the edge's presigned parts, resumes after the tab was closed
// midway without sending the stored parts again, and the publish worker (`publish worker`, the
// CLI's pipeline: validate, vet in headless Blender with the Octane graph check, sign, register)
// publishes it; a hostile package is refused with its problem lines on the page.
import fs from "node:fs";
import path from "node:path";
import { start, run } from "../lib/proc.mjs";
import { makePackage, demoPackage } from "../lib/packages.mjs";
import { rootDir } from "../lib/stack.mjs";

const OPERATOR = { email: "operator@octane.local", password: "octane-demo-operator" };
const PAGE = "/operator/publish";

/** The publish worker for this run (started once, stopped with the stack). */
function ensureWorker(ctx, h) {
  if (ctx.publishWorker) return;
  const logFile = path.join(ctx.stack.logDir, "publish-worker.log");
  ctx.publishWorker = start("publish-worker", ctx.stack.bins.publish, ["worker", "-every", "300ms"], {
    cwd: path.dirname(ctx.stack.bins.publish), logFile,
    env: { ...ctx.stack.env, DATABASE_URL: ctx.stack.dbURL, PUBLISH_ENV: "development" },
  });
  ctx.stack.onStop(() => ctx.publishWorker.stop());
  h.log(`publish worker started (log ${logFile})`);
}

/** PUTs of upload parts to the bucket, by part number, and a switch that holds some of them. */
async function watchParts(ctx, context) {
  const s3 = new URL(ctx.stack.env.S3_ENDPOINT).origin;
  const w = { sent: [], held: [], hold: () => false };
  await context.route((u) => u.origin === s3 && u.searchParams.has("partNumber"), async (route) => {
    const req = route.request();
    if (req.method() !== "PUT") return route.continue();
    const n = Number(new URL(req.url()).searchParams.get("partNumber"));
    if (w.hold(n)) {
      w.held.push({ n, route }); // answered by drop() when the test cuts the connection
      return;
    }
    w.sent.push(n);
    return route.continue();
  });
  // The connection drops under the held parts (they never reach the bucket).
  w.drop = async () => {
    for (const { route } of w.held.splice(0)) await route.abort("connectionreset").catch(() => {});
  };
  return w;
}

async function jobDone(page, ms) {
  const box = page.getByTestId("publish-job");
  await page.locator('[data-testid="publish-job"][data-status="published"], [data-testid="publish-job"][data-status="refused"], [data-testid="publish-job"][data-status="failed"]').waitFor({ timeout: ms });
  const lines = await page.getByTestId("job-line").allInnerTexts();
  return { status: await box.getAttribute("data-status"), lines };
}

const codeEntries = JSON.parse(fs.readFileSync(path.join(rootDir, "schemas", "codes.json"), "utf8")).codes;
/** The sentence the site shows for a code (schemas/codes.json), or undefined. */
const webOf = (code) => codeEntries.find((c) => c.code === code)?.web;

/**
 * Uploads file from the operator's page and waits for its job to be refused. Every problem line
 * on the page must be the log's line and, when the line's code has one, the code's sentence under
 * it. Returns the page, its context, the page's problem lines and the job's row.
 */
async function refusedOnPage(ctx, h, file, shot) {
  const { page, context } = await h.newPage(ctx);
  await h.signIn(page, OPERATOR, PAGE);
  await page.getByLabel("Package zip").setInputFiles(file);
  await page.getByRole("button", { name: /Upload and publish/ }).click();
  const job = await jobDone(page, 120_000);
  await page.screenshot({ path: path.join(h.shotDir, shot) });
  h.assert(job.status === "refused", `${path.basename(file)}: the job ended ${job.status}:\n  ${job.lines.join("\n  ")}`);
  const problems = await page.locator('[data-testid="job-line"][data-problem="true"]').allInnerTexts();
  const row = h.qjson(ctx.stack, `select status, error_code, log from public.publish_jobs order by created_at desc limit 1`)[0];
  const want = row.log.filter((l) => l.problem).map((l) => {
    h.assert(l.code, `a problem line of the log has no code: ${JSON.stringify(l)}`);
    return [l.text, webOf(l.code)].filter(Boolean).join("\n");
  });
  const norm = (l) => l.replace(/\s*\n\s*/g, "\n").trim();
  h.assert(JSON.stringify(problems.map(norm)) === JSON.stringify(want), `problem lines on the page ${JSON.stringify(problems)}, want each line with its code's sentence ${JSON.stringify(want)}`);
  return { page, context, problems, row };
}

/** The run's worker, and a copy of oak-wood as a run-specific shader `<prefix>-<run>`. */
function prepare(ctx, h, prefix, { name, padTo = 0, version }) {
  ensureWorker(ctx, h);
  const id = `${prefix}-${h.runId.replace(/[^a-z0-9]/g, "")}`.slice(0, 60);
  const work = path.join(ctx.stack.tmp, "publish-e2e");
  const pkg = makePackage({
    publishBin: ctx.stack.bins.publish, from: demoPackage("oak-wood"), shaderId: id, name, padTo, version,
    outDir: path.join(work, "out"), workDir: path.join(work, "src"),
  });
  return { id, pkg, work };
}

/** "1.0.0" → "1.0.1". */
function nextVersion(v) {
  const p = v.split(".").map(Number);
  p[p.length - 1] += 1;
  return p.join(".");
}

function s3Cleanup(ctx, keys) {
  ctx.stack.onStop(() => { try { run(ctx.stack.bins.s3tool, ["rm", ...keys], { env: ctx.stack.env }); } catch { /* best effort */ } });
}

export default [
  {
    name: "publish from the browser: a multi-part upload closed midway resumes from the stored parts, the worker vets and publishes, the shader is on the site; unpublish hides it",
    needs: [],
    async fn(ctx, h) {
      const { id, pkg } = prepare(ctx, h, "e2e-publish", { name: `Published ${h.runId.slice(-6)}`, padTo: 20 << 20 });
      s3Cleanup(ctx, [pkg.key, ...[".webp", "-384.jpg", "-768.jpg"].map((s) => `previews/${id}/${pkg.version}${s}`)]);
      const zip = fs.readFileSync(pkg.zip);
      h.assert(zip.length > 16 << 20, `the package is only ${zip.length} bytes`);

      const { page, context } = await h.newPage(ctx);
      await h.signIn(page, OPERATOR, PAGE);
      const parts = await watchParts(ctx, context);

      // 1. Part 1 reaches the bucket; the connection drops under parts 2 and 3; the tab is closed.
      parts.hold = (n) => n !== 1;
      await page.getByLabel("Package zip").setInputFiles(pkg.zip);
      await page.getByRole("button", { name: "Upload and publish" }).click();
      await h.waitFor(async () => parts.sent.includes(1) && parts.held.length === 2, 30_000, "part 1 sent and parts 2, 3 held");
      await page.locator('[data-testid="upload-progress"][data-parts-done="1"]').waitFor({ timeout: 30_000 });
      h.assert(JSON.stringify(parts.held.map((x) => x.n).sort()) === "[2,3]", `held parts ${JSON.stringify(parts.held.map((x) => x.n))}`);
      await parts.drop();
      await page.getByText(/Pick the same file again to resume/).waitFor();
      const count = await page.getByTestId("upload-progress").getAttribute("data-part-count");
      h.assert(count === "3", `the page plans ${count} parts for ${zip.length} bytes, want 3 of 8 MiB`);
      await page.close();
      h.assert(h.q1(ctx.stack, `select count(*) from public.publish_jobs`) === "0", "a job was queued for an unfinished upload");

      // 2. The page again: it says the upload did not finish; the same file resumes with parts 2, 3 only.
      parts.hold = () => false;
      const sentBefore = parts.sent.length;
      const again = await context.newPage();
      again.setDefaultTimeout(20_000);
      await again.goto(PAGE);
      await again.getByTestId("resume-hint").waitFor();
      await again.getByLabel("Package zip").setInputFiles(pkg.zip);
      const created = again.waitForResponse((r) => new URL(r.url()).pathname === "/v1/uploads" && r.request().method() === "POST");
      await again.getByRole("button", { name: "Resume upload and publish" }).click();
      const resumed = await (await created).json();
      let job;
      try {
        job = await jobDone(again, 180_000);
      } finally {
        await again.screenshot({ path: path.join(h.shotDir, "publish-resumed.png") });
      }
      const resent = parts.sent.slice(sentBefore).sort();
      const stored = (resumed.stored_parts ?? []).map((p) => p.part_number);
      h.assert(JSON.stringify(stored) === "[1]", `the edge answered the same file again with stored parts ${JSON.stringify(stored)}, want [1]: ${JSON.stringify(resumed)}`);
      h.assert(JSON.stringify(resent) === "[2,3]", `after the resume the page sent parts ${JSON.stringify(resent)}, want [2,3] (part 1 was stored)`);
      const reused = await again.getByTestId("upload-progress").getAttribute("data-reused");
      h.assert(reused === "1", `the page says ${reused} part(s) were already stored, want 1`);
      h.assert(job.status === "published", `the job ended ${job.status}:\n  ${job.lines.join("\n  ")}`);
      for (const step of ["validate: 1 packages ok", "vet: 1 packages ok", `published ${id} ${pkg.version}`]) {
        h.assert(job.lines.some((l) => l.includes(step)), `the page's log lacks "${step}":\n  ${job.lines.join("\n  ")}`);
      }
      const row = h.qjson(ctx.stack, `select s.published, v.sha256, v.size, v.manifest_sig <> '' as signed from public.shader_versions v
        join public.shaders s on s.id = v.shader_id where s.slug = '${id}'`)[0];
      h.assert(row && row.published && row.signed && row.sha256 === h.sha256(zip) && Number(row.size) === zip.length,
        `shader_versions row: ${JSON.stringify(row)} (want the uploaded zip's ${h.sha256(zip)})`);
      h.log(`published ${id} ${pkg.version} (${(zip.length / 1048576).toFixed(1)} MB, 3 parts, part 1 kept across the closed tab)`);

      // 3. On the site; then unpublished from the same page, it is gone from the site.
      await again.getByRole("link", { name: "View it on the site" }).click();
      await again.waitForURL((u) => u.pathname === `/shaders/${id}`);
      await again.getByRole("heading", { name: `Published ${h.runId.slice(-6)}` }).waitFor();
      await again.goto(PAGE);
      const entry = again.locator(`[data-testid="catalog-row"][data-slug="${id}"]`);

      // 4. "Publish a new version" of this shader on the same page: the next version is published beside the first.
      const v2 = prepare(ctx, h, "e2e-publish", { name: `Published ${h.runId.slice(-6)}`, version: nextVersion(pkg.version) }).pkg;
      h.assert(v2.shaderId === id && v2.version !== pkg.version, `the new version is ${v2.shaderId} ${v2.version}`);
      s3Cleanup(ctx, [v2.key, ...[".webp", "-384.jpg", "-768.jpg"].map((s) => `previews/${id}/${v2.version}${s}`)]);
      await entry.getByRole("button", { name: "Publish a new version" }).click();
      await again.getByRole("heading", { name: `Publish a new version of ${id}` }).waitFor();
      await again.getByLabel("Package zip").setInputFiles(v2.zip);
      await again.getByRole("button", { name: "Upload and publish" }).click();
      const job2 = await jobDone(again, 180_000);
      h.assert(job2.status === "published" && job2.lines.some((l) => l.includes(`published ${id} ${v2.version}`)),
        `the new version's job ended ${job2.status}:\n  ${job2.lines.join("\n  ")}`);
      h.assert(h.q1(ctx.stack, `select string_agg(v.version, ',' order by v.version) from public.shader_versions v
        join public.shaders s on s.id = v.shader_id where s.slug = '${id}'`) === [pkg.version, v2.version].sort().join(","),
        "both versions are not in the catalog");
      await again.goto(PAGE);
      await entry.getByText(v2.version, { exact: false }).waitFor();

      await entry.getByRole("button", { name: "Unpublish" }).click();
      await entry.getByRole("button", { name: "Publish again" }).waitFor();
      h.assert(h.q1(ctx.stack, `select published from public.shaders where slug = '${id}'`) === "f", "Unpublish did not hide the shader");
      // (The page streams, so Next answers 200 and renders the not-found page.)
      await again.goto(`/shaders/${id}`);
      await again.getByRole("heading", { name: "Not found" }).waitFor();
      h.assert(await again.getByRole("heading", { name: `Published ${h.runId.slice(-6)}` }).count() === 0, "the unpublished shader's page still shows it");
      await context.close();
    },
  },
  {
    name: "publish from the browser: a hostile package is refused with its problem lines on the page, each with its code's sentence, and nothing is published",
    needs: [],
    async fn(ctx, h) {
      const { id, pkg, work } = prepare(ctx, h, "e2e-hostile", { name: "Hostile" });
      // An entry that climbs out of the package folder (a zip-slip), added after packing.
      const hostile = path.join(work, `${id}-hostile.zip`);
      run("python3", ["-c", "import shutil, sys, zipfile; shutil.copy(sys.argv[1], sys.argv[2]); z = zipfile.ZipFile(sys.argv[2], 'a'); z.writestr('../../evil.py', 'import os\\n'); z.close()", pkg.zip, hostile]);

      const slip = await refusedOnPage(ctx, h, hostile, "publish-refused.png");
      h.assert(slip.problems.some((l) => l.includes("evil.py")), `the page shows no problem line naming the entry: ${JSON.stringify(slip.problems)}`);
      await slip.page.getByText(/Nothing was published: 1 problem/).waitFor();
      h.assert(h.q1(ctx.stack, `select count(*) from public.shaders where slug = '${id}'`) === "0", "the hostile package reached the catalog");
      h.assert(slip.row.status === "refused" && slip.row.error_code === "PACKAGE_INVALID", `publish_jobs row: ${JSON.stringify(slip.row)}`);
      await slip.context.close();

      // A package whose manifest names a material its .blend does not hold: refused by vetting,
      // the line shows its code's sentence.
      const renamed = path.join(work, `${id}-renamed.zip`);
      run("python3", ["-c", [
        "import json, sys, zipfile",
        "src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], 'w')",
        "for e in src.infolist():",
        "    b = src.read(e)",
        "    if e.filename == 'manifest.json':",
        "        m = json.loads(b); m['material_name'] = 'OB_Elsewhere'; b = json.dumps(m).encode()",
        "    dst.writestr(e, b)",
        "dst.close()",
      ].join("\n"), pkg.zip, renamed]);
      const vet = await refusedOnPage(ctx, h, renamed, "publish-refused-vet.png");
      h.assert(vet.row.status === "refused" && vet.row.error_code === "PACKAGE_UNSAFE", `publish_jobs row: ${JSON.stringify({ ...vet.row, log: undefined })}`);
      const codes = vet.row.log.filter((l) => l.problem).map((l) => l.code);
      h.assert(codes.length === 1 && webOf(codes[0]), `the vetting problem's code ${JSON.stringify(codes)} has no sentence in schemas/codes.json`);
      h.assert(h.q1(ctx.stack, `select count(*) from public.shaders where slug = '${id}'`) === "0", "the renamed package reached the catalog");
      await vet.context.close();
    },
  },
];
