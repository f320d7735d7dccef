import type { PublicEnv } from "./env";

/** What the bridge reads from <site>/.well-known/octane-bridge.json when the add-on only knows the
 *  site's address (docs/bridge-protocol.md). Only public values: the anon key is public by design. */
export function bridgeConfig(e: PublicEnv) {
  return { edge_url: e.edgeUrl, supabase_url: e.supabaseUrl, supabase_anon_key: e.supabaseAnonKey };
}
