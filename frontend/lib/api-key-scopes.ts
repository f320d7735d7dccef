import type { EdgeSchema } from "@/lib/edge";

/** The scopes a personal API key may be given (edge/openapi.yaml PersonalScope), and what each allows. */
export const personalScopes = [
  { scope: "catalog:read", label: "Read the catalog", checked: true },
  { scope: "devices:read", label: "List your Blenders", checked: false },
  { scope: "imports:create", label: "Import into your Blenders", checked: false },
  { scope: "imports:read", label: "Follow imports", checked: false },
  { scope: "settings:read", label: "Read settings", checked: false },
  { scope: "settings:write", label: "Change settings", checked: false },
  { scope: "webhooks:write", label: "Manage webhooks", checked: false },
] as const satisfies readonly { scope: EdgeSchema<"PersonalScope">; label: string; checked: boolean }[];

export type PersonalScope = (typeof personalScopes)[number]["scope"];
export const personalScopeNames = personalScopes.map((s) => s.scope) as [PersonalScope, ...PersonalScope[]];
