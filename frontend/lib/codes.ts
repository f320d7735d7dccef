// The failure vocabulary, read from schemas/codes.json (the one list the edge, the bridge, the
// add-on and the site share): codes are spelled Code.X (codes.gen.ts, generated from the file),
// and every sentence the site shows for a code comes from the file.
import file from "../../schemas/codes.json";
import { Code } from "@/lib/codes.gen";

export { Code };

export type CodeAction = { label: string; href: string };
export type CodeInfo = {
  code: string;
  from: string[];
  status?: number;
  retryable: boolean;
  web?: string;
  blender?: string;
  action?: CodeAction;
  reported_as?: string;
  on_import?: { web: string; action?: CodeAction };
};

const entries = new Map<string, CodeInfo>((file.codes as CodeInfo[]).map((e) => [e.code, e]));

/** The file's entry for a code (undefined for one it does not list). */
export function codeInfo(code: string | null | undefined): CodeInfo | undefined {
  return code ? entries.get(code) : undefined;
}

/** The sentence the site shows for a code, when the file has one. */
export function webText(code: string | null | undefined): string | undefined {
  return codeInfo(code)?.web;
}

/** What to do next after an import failed with code (imports.error_code), when the file says. */
export function importRemedy(code: string | null | undefined): string | undefined {
  const e = codeInfo(code);
  return e?.from.includes("import") ? e.web : undefined;
}

export type Problem = { message: string; href?: string; action?: string };

/** What the import panel shows when starting an import fails: the file's words and fix, else the edge's message. */
export function problemFor(code: string, message: string): Problem {
  const e = codeInfo(code);
  const text = e?.on_import?.web ?? e?.web;
  const action = e?.on_import ? e.on_import.action : e?.action;
  return { message: text ?? message, ...(action ? { href: action.href, action: action.label } : {}) };
}
