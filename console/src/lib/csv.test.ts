import { describe, expect, it } from "vitest";
import { collect } from "../components/UsageExport";
import { csvField, toCsv, usageCsv, USAGE_COLUMNS } from "./csv";
import { usageRecord } from "../test/fixtures";

const record = usageRecord({ input_tokens: 12, output_tokens: 3, cost_usd: "0.000123456", latency_ms: 850 });

describe("csv", () => {
  it("quotes only what needs it and doubles quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    expect(csvField(null)).toBe("");
    expect(csvField(-1.5)).toBe("-1.5");
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(toCsv(["a", "b"], [[1, "x,y"]])).toBe('a,b\r\n1,"x,y"\r\n');
  });

  it("writes usage records with exact costs, raw times and names", () => {
    const text = usageCsv([record, { ...record, request_id: "req-2", user_id: null, key_id: null, cost_usd: null, estimated: true }], (id) =>
      id === "2" ? "Ann, admin" : `#${id}`,
    );
    const lines = text.split("\r\n");
    expect(lines[0]).toBe(USAGE_COLUMNS.join(","));
    expect(lines[1]).toBe('2026-11-30T10:00:00Z,req-1,2,"Ann, admin",5,,openai,7,gpt-4.1,chat,openai,200,12,3,0,0,0,0.000123456,850,,false');
    expect(lines[2]).toBe("2026-11-30T10:00:00Z,req-2,,,,,openai,7,gpt-4.1,chat,openai,200,12,3,0,0,0,,850,,true");
    expect(lines[3]).toBe("");
  });

  it("pages through the records up to the cap and says when it cut them short", async () => {
    const asked: (string | undefined)[] = [];
    const load = async (cursor: string | undefined, limit: number) => {
      asked.push(cursor);
      const start = Number(cursor ?? 0);
      return { data: Array.from({ length: limit }, (_, i) => ({ ...record, request_id: `r${start + i}` })), next_cursor: String(start + limit) };
    };
    const capped = await collect(load, 1200);
    expect(capped.capped).toBe(true);
    expect(capped.rows).toHaveLength(1200);
    expect(asked).toEqual([undefined, "500", "1000"]);

    const all = await collect(async () => ({ data: [record], next_cursor: null }), 1200);
    expect(all).toEqual({ rows: [record], capped: false });
  });
});
