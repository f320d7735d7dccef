import { Skeleton } from "@/components/ui/skeleton";

export function GridSkeleton({ count = 12 }: { count?: number }) {
  return (
    <ul aria-busy="true" aria-label="Loading shaders" className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-4 xl:grid-cols-6">
      {Array.from({ length: count }, (_, i) => (
        <li key={i}>
          <Skeleton className="aspect-square w-full rounded-xl" />
          <Skeleton className="mt-2 h-4 w-2/3" />
        </li>
      ))}
    </ul>
  );
}
