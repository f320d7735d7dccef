import Link from "next/link";
import { buttonVariants } from "@/components/ui/button";

export default function NotFound() {
  return (
    <div className="mx-auto flex max-w-lg flex-col items-center gap-3 py-16 text-center">
      <h1 className="text-2xl font-semibold">Not found</h1>
      <p className="text-muted-foreground">That page or shader does not exist, or is not published yet.</p>
      <Link href="/" className={buttonVariants({ variant: "outline" })}>Back to the library</Link>
    </div>
  );
}
