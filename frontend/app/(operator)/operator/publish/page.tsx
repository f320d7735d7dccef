import type { Metadata } from "next";
import { requireOperator } from "@/lib/data/operator";
import { getOperatorCatalog } from "@/lib/data/publishing";
import { PublishPanel } from "@/components/operator/publish-panel";

export const metadata: Metadata = { title: "Publish" };

// Publishing from the browser: resumable upload, then the publish job's steps and lines live;
// unpublish and "publish a new version" per shader.
export default async function PublishPage() {
  await requireOperator("/operator/publish");
  const catalog = await getOperatorCatalog();
  return (
    <div className="flex flex-col gap-4">
      <header className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Publish</h1>
        <p className="text-sm text-muted-foreground">
          A package is uploaded in parts straight to the bucket; a closed tab or a dropped connection resumes from the parts already stored.
          Nothing is published until it passed validation, vetting in Blender (the Octane graph included) and signing.
        </p>
      </header>
      <PublishPanel catalog={catalog} />
    </div>
  );
}
