import { describe, expect, it } from "vitest";
import { parsePublicEnv } from "@/lib/env";
import { bridgeConfig } from "@/lib/bridge-config";

describe("bridgeConfig", () => {
  it("gives the bridge the edge and Supabase addresses and nothing secret", () => {
    const e = parsePublicEnv({
      NEXT_PUBLIC_SUPABASE_URL: "https://abc.supabase.co",
      NEXT_PUBLIC_EDGE_URL: "https://edge.example.com",
      NEXT_PUBLIC_SUPABASE_ANON_KEY: "anon-key-that-is-public-by-design",
    });
    expect(bridgeConfig(e)).toEqual({
      edge_url: "https://edge.example.com",
      supabase_url: "https://abc.supabase.co",
      supabase_anon_key: "anon-key-that-is-public-by-design",
    });
    expect(Object.keys(bridgeConfig(e)).sort()).toEqual(["edge_url", "supabase_anon_key", "supabase_url"]);
  });
});
