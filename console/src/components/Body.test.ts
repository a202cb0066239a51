import { describe, expect, it } from "vitest";
import { prettyBody } from "./Body";

describe("captured bodies", () => {
  it("pretty-prints JSON", () => {
    expect(prettyBody('{"model":"gpt","n":1}')).toEqual({ kind: "json", text: '{\n  "model": "gpt",\n  "n": 1\n}' });
  });

  it("pretty-prints each SSE event's JSON payload", () => {
    const sse = 'event: message_start\ndata: {"type":"message_start"}\n\ndata: [DONE]\n\n';
    const out = prettyBody(sse);
    expect(out.kind).toBe("sse");
    expect(out.text).toBe('event: message_start\ndata: {\n  "type": "message_start"\n}\n\ndata: [DONE]');
  });

  it("leaves other text as it came", () => {
    expect(prettyBody("plain {oops")).toEqual({ kind: "text", text: "plain {oops" });
  });
});
