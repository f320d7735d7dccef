// The failure vocabulary of schemas/codes.json (the one list the edge, the bridge, the add-on and
// the site share): codes are spelled Code.X, and every sentence the site shows for a code comes
// from the file. The site builds from frontend/ alone, so lib/codes.gen.ts carries the file's
// site part (generated with the Go constants; tests/unit/codes.test.ts compares it to the file).
import { Code, codeEntries, type CodeAction, type CodeInfo } from "@/lib/codes.gen";

export { Code, type CodeAction, type CodeInfo };

const entries = new Map<string, CodeInfo>(codeEntries.map((e) => [e.code, e]));

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
