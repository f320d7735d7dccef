import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentUser } from "@/lib/data/user";
import { loginRedirectPath } from "@/lib/routes";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { ConnectForm } from "./connect-form";

export const metadata: Metadata = { title: "Connect Blender" };

export default async function ConnectPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const sp = await searchParams;
  const user = await currentUser();
  const code = typeof sp.user_code === "string" ? sp.user_code : typeof sp.code === "string" ? sp.code : "";
  if (!user) redirect(loginRedirectPath("/connect" + (code ? `?user_code=${encodeURIComponent(code)}` : "")));
  return (
    <div className="mx-auto max-w-md">
      <Card>
        <CardHeader>
          <CardTitle>Connect Blender</CardTitle>
          <CardDescription>
            Enter the code shown in the Octane Bridge panel in Blender, check which Blender is asking, and approve it only
            if it is your own.
          </CardDescription>
        </CardHeader>
        <CardContent><ConnectForm initialCode={code} email={user.email} /></CardContent>
      </Card>
    </div>
  );
}
