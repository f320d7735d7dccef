import { Skeleton } from "@/components/ui/skeleton";

export function GridSkeleton({ count = 12 }: { count?: number }) {
  // Same boxes as the results (count line, square previews, 20 px title rows): no shift on swap.
  return (
    <>
    <Skeleton className="mb-3 h-5 w-24" />
    <ul aria-busy="true" aria-label="Loading shaders" className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-4 xl:grid-cols-6">
      {Array.from({ length: count }, (_, i) => (
        <li key={i}>
          <Skeleton className="aspect-square w-full rounded-xl" />
          <div className="mt-2 flex h-5 items-center"><Skeleton className="h-4 w-2/3" /></div>
        </li>
      ))}
    </ul>
    </>
  );
}
