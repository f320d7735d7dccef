// The site reads the failure vocabulary from schemas/codes.json and spells no code itself.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import file from "../../../schemas/codes.json";
import { Code, codeInfo, problemFor } from "@/lib/codes";
import { codeEntries } from "@/lib/codes.gen";
import { edgeMessage } from "@/lib/edge";
import { describeImport, remedyFor } from "@/lib/import-status";

const root = path.resolve(__dirname, "../..");
const known = new Set(file.codes.map((e) => e.code));
const CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === "node_modules" || d.name.startsWith(".") ? [] : sources(p);
    return /\.tsx?$/.test(d.name) && !/\.(test|spec)\.tsx?$/.test(d.name) && !d.name.endsWith(".d.ts") ? [p] : [];
  });
}

const mentionsCode = (n: ts.Node) => /code$/i.test(n.getText().replace(/[^A-Za-z_.]/g, ""));

/** A literal in a code's place: { code: X }, x.code === X, case X in a switch over a code. */
function usedAsCode(lit: ts.Node): boolean {
  const p = lit.parent;
  if (ts.isPropertyAssignment(p) && p.initializer === lit) return mentionsCode(p.name);
  if (ts.isBinaryExpression(p)) return mentionsCode(p.left === lit ? p.right : p.left);
  if (ts.isCaseClause(p)) return mentionsCode(p.parent.parent.expression);
  return false;
}

function violations(name: string, text: string): string[] {
  const sf = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true, name.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return;
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && n.text.length >= 3 && CODE.test(n.text)) {
      const line = sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
      if (known.has(n.text)) out.push(`${name}:${line}: "${n.text}" is a code: spell it Code.${n.text}`);
      else if (usedAsCode(n)) out.push(`${name}:${line}: "${n.text}" is used as a code but schemas/codes.json does not list it`);
    }
    if (ts.isObjectLiteralExpression(n)) {
      const keys = n.properties.map((p) => (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : ""));
      if (keys.filter((k) => known.has(k)).length >= 2) out.push(`${name}: a table keyed by codes: its words belong in schemas/codes.json`);
    }
    if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "Code" && !known.has(n.name.text)) {
      out.push(`${name}: Code.${n.name.text} is not in schemas/codes.json`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe("the failure vocabulary", () => {
  it("Code and the site's entries are the file (lib/codes.gen.ts is generated from it)", () => {
    expect(Object.keys(Code)).toEqual(file.codes.map((e) => e.code));
    for (const [k, v] of Object.entries(Code)) expect(v).toBe(k);
    const site = (e: Record<string, unknown>) => {
      const { blender: _b, blender_action: _a, reported_as: _r, ...rest } = e;
      return rest;
    };
    expect(codeEntries).toEqual(file.codes.map((e) => site(e)));
  });

  it("no code string or code-keyed text table outside the file", () => {
    // Generated from the file: codes.gen.ts directly, edge-api.gen.ts through edge/openapi.yaml's
    // error enum (internal/codes checks that enum is exactly the file's edge codes).
    const files = ["lib", "components", "app"].flatMap((d) => sources(path.join(root, d)))
      .filter((f) => !f.endsWith("codes.gen.ts") && !f.endsWith("edge-api.gen.ts"));
    expect(files.length).toBeGreaterThan(20);
    const out = files.flatMap((f) => violations(path.relative(root, f), fs.readFileSync(f, "utf8")));
    expect(out).toEqual([]);
  });

  it("the scan finds made-up codes, spelled codes and text tables", () => {
    const src = `
      const a = { code: "MADE_UP", env: "SOME_ENV_NAME" };
      if (res.error.code === "COMPARED") {}
      switch (row.error_code) { case "IN_A_SWITCH": break; }
      const b = "NOT_FOUND";
      const c = Code.NOT_IN_THE_FILE;
      const t = { DISK_FULL: "x", EXTRACT_IO: "y" };`;
    expect(violations("x.ts", src).map((v) => v.replace(/^x\.ts:(\d+:)? /, ""))).toEqual([
      '"MADE_UP" is used as a code but schemas/codes.json does not list it',
      '"COMPARED" is used as a code but schemas/codes.json does not list it',
      '"IN_A_SWITCH" is used as a code but schemas/codes.json does not list it',
      '"NOT_FOUND" is a code: spell it Code.NOT_FOUND',
      "Code.NOT_IN_THE_FILE is not in schemas/codes.json",
      "a table keyed by codes: its words belong in schemas/codes.json",
    ]);
  });

  it("the site's words come from the file", () => {
    const web = (c: string) => codeInfo(c)!.web!;
    expect(remedyFor(Code.DISK_FULL)).toBe(web("DISK_FULL"));
    expect(remedyFor(Code.NOT_FOUND)).toMatch(/Try again/); // not an import failure
    expect(describeImport({ status: "expired", progress: 0, error_code: Code.EXPIRED, error_message: null }).hint).toBe(web("EXPIRED"));
    expect(edgeMessage({ code: Code.RATE_LIMIT_EXCEEDED, message: "x" })).toBe(web("RATE_LIMIT_EXCEEDED"));
    expect(edgeMessage({ code: Code.CONFLICT, message: "the edge says why" })).toBe("the edge says why");
    expect(problemFor(Code.SUBSCRIPTION_REQUIRED, "x")).toEqual({ message: web("SUBSCRIPTION_REQUIRED"), href: "/account#subscription", action: "See plans" });
    expect(problemFor(Code.NOT_FOUND, "x")).toEqual({ message: codeInfo("NOT_FOUND")!.on_import!.web, href: "/help", action: "How to connect" });
    expect(problemFor(Code.CONFLICT, "the edge says why")).toEqual({ message: "the edge says why" });
  });
});
