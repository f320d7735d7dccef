// ESLint 9 flat config: Next.js's own rules (core web vitals + TypeScript), run by `make lint`
// (scripts/lint.sh) and counted in the web suite (scripts/suites/web.sh), warnings included.
import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// The layers (docs/frontend.md "Data access"): app/ composes components/ and lib/, never the
// reverse; pages read Supabase only through lib/data/ (server-only), and client components only
// through lib/browser-data.ts. The auth forms and the /auth route handlers use the clients for
// auth itself (sessions, cookies), not for data.
const fromApp = { group: ["@/app/*", "**/app/*"], message: "app/ composes components and lib; they never import from it." };
const serverClient = { name: "@/lib/supabase/server", message: "Read through lib/data/ (server-only)." };
const browserClient = { name: "@/lib/supabase/client", message: "Read and write live data through lib/browser-data.ts." };
const restrict = (opts) => ({ "no-restricted-imports": ["error", opts] });

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores([".next/**", "out/**", "next-env.d.ts", "public/**", "lib/database.types.ts", "lib/edge-api.gen.ts"]),
  {
    rules: {
      // A leading underscore marks a parameter or a dropped property that is unused on purpose
      // (a signature to satisfy, or `const { secret: _omit, ...rest }` to leave a field out).
      "@typescript-eslint/no-unused-vars": [
        "warn",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  { files: ["lib/**"], rules: restrict({ patterns: [fromApp] }) },
  { files: ["components/**"], rules: restrict({ paths: [serverClient, browserClient], patterns: [fromApp] }) },
  { files: ["components/auth/**"], rules: restrict({ paths: [serverClient], patterns: [fromApp] }) },
  { files: ["app/**"], ignores: ["app/auth/**"], rules: restrict({ paths: [serverClient, browserClient] }) },
]);
