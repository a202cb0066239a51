import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { json, mockGateway } from "../test/fetch";
import { renderPage } from "../test/render";
import { UsageView } from "./UsageView";
import { usageRecord, usageTotals } from "../test/fixtures";

const totals = usageTotals(3, 30, 3, "0.3");
const record = usageRecord();
const scope = { kind: "admin" as const, users: [{ id: "2", name: "ann" }], userName: (id: string | null | undefined) => (id === "2" ? "ann" : "—") };

describe("usage explorer", () => {
  it("groups per hour (with a from the hourly summary needs) and exports the filtered records as CSV", async () => {
    const calls = mockGateway({
      "GET /admin/usage/summary": (call) =>
        json(200, call.url.includes("granularity=hour") ? { data: [{ time: "2026-11-30T10:00:00Z", ...totals }], total: totals } : { data: [], total: totals }),
      "GET /admin/usage": (call) =>
        json(200, call.url.includes("cursor=") ? { data: [{ ...record, request_id: "req-2" }], next_cursor: null } : { data: [record], next_cursor: "c1" }),
    });
    const created: Blob[] = [];
    const { createObjectURL, revokeObjectURL } = URL;
    URL.createObjectURL = (blob: Blob) => (created.push(blob), "blob:x");
    URL.revokeObjectURL = () => undefined;
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    const user = userEvent.setup();
    renderPage(<UsageView scope={scope} />, "/usage?per=hour&provider=openai");

    expect(await screen.findByRole("heading", { name: "Per hour" })).toBeTruthy();
    expect(screen.getByText("Per hour without a From: the last 24 hours.")).toBeTruthy();
    const hourly = calls.find((c) => c.url.includes("granularity=hour"));
    expect(new URL(hourly!.url, "http://x").searchParams.get("from")).toMatch(/T\d\d:00:00\.000Z$/);

    await user.click(screen.getByRole("button", { name: "Export CSV" }));
    await vi.waitFor(() => expect(click).toHaveBeenCalled());
    const pages = calls.filter((c) => c.url.startsWith("/admin/usage?") && c.url.includes("limit=500"));
    expect(pages.map((c) => new URL(c.url, "http://x").searchParams.get("cursor"))).toEqual([null, "c1"]);
    expect(pages.every((c) => c.url.includes("provider=openai"))).toBe(true);
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(created[0]);
    });
    expect(text.split("\r\n").slice(1, 3).map((line) => line.split(",").slice(1, 4).join(","))).toEqual(["req-1,2,ann", "req-2,2,ann"]);
    click.mockRestore();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
  });
});
