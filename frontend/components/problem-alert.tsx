import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import type { Problem } from "@/lib/codes";

/** A refused request in the words of schemas/codes.json, with the way forward when there is one. */
export function ProblemAlert({ problem }: { problem: Problem }) {
  return (
    <Alert tone="error" className="flex flex-col gap-2">
      <span>{problem.message}</span>
      {problem.href ? <Link href={problem.href} className="font-medium underline">{problem.action}</Link> : null}
    </Alert>
  );
}
