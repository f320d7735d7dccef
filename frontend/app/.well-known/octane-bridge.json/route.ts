import { env } from "@/lib/env";
import { bridgeConfig } from "@/lib/bridge-config";

export const dynamic = "force-static";

export function GET() {
  return Response.json(bridgeConfig(env), { headers: { "Cache-Control": "public, max-age=300" } });
}
