// "Export CSV": pages through the usage records the filters select (500 a call, the API's
// maximum) up to a cap, then offers them as a file; says so when the cap cut the export short.
import { useState } from "react";
import { toApiError, type ApiError, type Page, type Schemas } from "../api/client";
import { useI18n } from "../i18n";
import { usageCsv } from "../lib/csv";
import { download } from "../lib/download";
import { ErrorNotice } from "./feedback";

type Usage = Schemas["Usage"];
export const EXPORT_CAP = 10_000;
const PAGE = 500;

/** Every record `load` pages through, up to `cap`; whether more were left. */
export async function collect(
  load: (cursor: string | undefined, limit: number) => Promise<Page<Usage>>,
  cap: number,
  onProgress?: (count: number) => void,
): Promise<{ rows: Usage[]; capped: boolean }> {
  const rows: Usage[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await load(cursor, Math.min(PAGE, cap - rows.length));
    rows.push(...page.data);
    onProgress?.(rows.length);
    cursor = page.next_cursor ?? undefined;
    if (!cursor) return { rows, capped: false };
    if (rows.length >= cap) return { rows: rows.slice(0, cap), capped: true };
  }
}

export function UsageExport({
  load,
  userName,
  keyName,
  cap = EXPORT_CAP,
}: {
  load(cursor: string | undefined, limit: number): Promise<Page<Usage>>;
  userName?: (id: string | null | undefined) => string;
  keyName?: (id: string | null | undefined) => string;
  cap?: number;
}) {
  const { t, fmt } = useI18n();
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState(0);
  const [capped, setCapped] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const run = async () => {
    setBusy(true);
    setError(null);
    setCapped(false);
    setProgress(0);
    try {
      const result = await collect(load, cap, setProgress);
      download(`gproxy-usage-${new Date().toISOString().replace(/[:.]/g, "-")}.csv`, usageCsv(result.rows, userName, keyName), "text/csv");
      setCapped(result.capped);
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="export">
      <button type="button" className="small" onClick={() => void run()} disabled={busy} aria-busy={busy || undefined}>
        {busy ? t("usage.exporting", { count: fmt.number(progress) }) : t("usage.exportCsv")}
      </button>
      {capped && (
        <p className="notice notice-warn" role="status">
          {t("usage.exportCapped", { cap: fmt.number(cap) })}
        </p>
      )}
      {error && <ErrorNotice error={error} />}
    </div>
  );
}
