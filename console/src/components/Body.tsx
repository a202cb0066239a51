// A captured request or response body, made readable: JSON pretty-printed, an SSE stream shown
// event by event with each JSON payload pretty-printed, anything else as it came.
import { useI18n } from "../i18n";

/** The readable form of a body. Exported for tests. */
export function prettyBody(body: string): { kind: "json" | "sse" | "text"; text: string } {
  const trimmed = body.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { kind: "json", text: JSON.stringify(JSON.parse(trimmed), null, 2) };
    } catch {
      // A JSON array stream cut short, or not JSON after all: look further.
    }
  }
  if (/^(data|event|id|retry):/m.test(trimmed) || trimmed.startsWith(":")) {
    const events = trimmed.split(/\r?\n\r?\n/).map((event) =>
      event
        .split(/\r?\n/)
        .map((line) => {
          const match = /^data:\s?(.*)$/.exec(line);
          if (!match) return line;
          try {
            return `data: ${JSON.stringify(JSON.parse(match[1]), null, 2)}`;
          } catch {
            return line;
          }
        })
        .join("\n"),
    );
    return { kind: "sse", text: events.join("\n\n") };
  }
  return { kind: "text", text: body };
}

export function Body({ body }: { body: string | null | undefined }) {
  const { t } = useI18n();
  if (body === null || body === undefined) return <p className="muted">{t("logs.notCaptured")}</p>;
  if (body === "") return <p className="muted">{t("logs.emptyBody")}</p>;
  const { kind, text } = prettyBody(body);
  return (
    <pre className="code" tabIndex={0} data-kind={kind}>
      {text}
    </pre>
  );
}

/** Headers as a name → value list. */
export function Headers({ headers }: { headers: Record<string, unknown> | null | undefined }) {
  const { t } = useI18n();
  if (!headers || Object.keys(headers).length === 0) return <p className="muted">{t("common.none")}</p>;
  return (
    <dl className="headers">
      {Object.entries(headers).map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}
