import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";

const replace = vi.fn();
vi.mock("next/navigation", () => ({ useRouter: () => ({ replace, push: vi.fn(), refresh: vi.fn() }) }));

import { SearchControls } from "@/components/catalog/search-controls";
import { parseCatalogQuery } from "@/lib/catalog";

const cats = [{ id: "metal", name: "Metals" }, { id: "glass", name: "Glass & Liquids" }];

describe("SearchControls", () => {
  beforeEach(() => { vi.useFakeTimers(); replace.mockClear(); });
  afterEach(() => { cleanup(); vi.useRealTimers(); });

  it("debounces typing into one URL update with relevance sort", () => {
    render(<SearchControls query={parseCatalogQuery({})} categories={cats} />);
    const box = screen.getByRole("searchbox", { name: "Search shaders" });
    fireEvent.change(box, { target: { value: "st" } });
    fireEvent.change(box, { target: { value: "steel" } });
    expect(replace).not.toHaveBeenCalled();
    act(() => { vi.advanceTimersByTime(300); });
    expect(replace).toHaveBeenCalledTimes(1);
    expect(replace.mock.calls[0]![0]).toBe("/?q=steel");
  });

  it("applies filters at once, resets the page and keeps ?device", () => {
    render(<SearchControls query={parseCatalogQuery({ page: "3" })} categories={cats} device="11111111-1111-4111-8111-111111111111" />);
    fireEvent.click(screen.getByRole("button", { name: "Free" }));
    expect(replace.mock.calls[0]![0]).toBe("/?tier=free&device=11111111-1111-4111-8111-111111111111");
    fireEvent.change(screen.getByLabelText("Category"), { target: { value: "glass" } });
    expect(replace.mock.calls[1]![0]).toBe("/?category=glass&device=11111111-1111-4111-8111-111111111111");
  });

  it("marks the active tier for assistive technology", () => {
    render(<SearchControls query={parseCatalogQuery({ tier: "pro" })} categories={cats} />);
    expect(screen.getByRole("button", { name: "Pro" }).getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByRole("button", { name: "All" }).getAttribute("aria-pressed")).toBe("false");
  });

  it("removes a tag filter", () => {
    render(<SearchControls query={parseCatalogQuery({ tags: "metal,steel" })} categories={cats} />);
    fireEvent.click(screen.getByRole("button", { name: "Remove tag metal" }));
    expect(replace.mock.calls[0]![0]).toBe("/?tags=steel");
  });
});
