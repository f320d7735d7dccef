import { redirect } from "next/navigation";
import { requireOperator } from "@/lib/data/operator";

export default async function OperatorHome() {
  await requireOperator("/operator");
  redirect("/operator/analytics");
}
