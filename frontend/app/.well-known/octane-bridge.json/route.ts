import { env } from "@/lib/env";

// CONTRACTS §2: the bridge reads its service URLs here when the add-on's hello omits them.
export function GET() {
  return Response.json(
    { edge_url: env.edgeUrl, supabase_url: env.supabaseUrl, supabase_anon_key: env.supabaseAnonKey },
    { headers: { "cache-control": "public, max-age=300" } },
  );
}
