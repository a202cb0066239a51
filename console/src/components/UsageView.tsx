// The usage explorer: filters (kept in the URL so a view can be shared), totals and an optional
// group-by table from the summary endpoint (rollups), and the records, paged by the server.
// Per-hour / per-day rows use the summary's granularity; the records export as CSV.
// Serves an admin (`/admin/usage*`, every user) and a user (`/user/usage*`, their own).
import { Link, useSearchParams } from "react-router";
import { api, type Page, type Schemas } from "../api/client";
import { useI18n } from "../i18n";
import { useApi, usePaged } from "../lib/hooks";
import { StatusBadge } from "./Badge";
import { ErrorNotice, TableState } from "./feedback";
import { Field, localTimeToRfc3339 } from "./forms";
import { IdSelect } from "./IdSelect";
import { Pager } from "./Pager";
import { UsageExport } from "./UsageExport";
import { UsageSummaryTable, type SummaryRow } from "./UsageSummaryTable";

type Usage = Schemas["Usage"];

export type UsageScope =
  | { kind: "admin"; users: { id: string; name: string }[]; userName(id: string | null | undefined): string }
  | { kind: "own"; keys: { id: string; label?: string | null; api_key: string }[] };

const FILTERS = ["user_id", "key_id", "provider", "model", "from", "to"] as const;
type Filter = (typeof FILTERS)[number];
const GROUPS = ["user", "key", "provider", "model"] as const;
const PERS = ["hour", "day"] as const;
const HOUR = 3_600_000;

export function UsageView({ scope }: { scope: UsageScope }) {
  const { t, fmt } = useI18n();
  const [params, setParams] = useSearchParams();
  const admin = scope.kind === "admin";
  const value = (name: Filter) => params.get(name) ?? "";
  // What the API gets: times as RFC 3339, empty filters left out (by the client).
  const filters = {
    user_id: admin ? value("user_id") : undefined,
    key_id: value("key_id"),
    provider: value("provider"),
    model: value("model"),
    from: localTimeToRfc3339(value("from")),
    to: localTimeToRfc3339(value("to")),
  };
  const group = GROUPS.find((g) => g === params.get("group")) ?? "";
  const per = PERS.find((p) => p === params.get("per")) ?? "";
  const key = JSON.stringify(filters);
  // An hourly summary needs `from` (at most 31 days before `to`): without one, the last 24 hours.
  const hourlyFrom =
    per === "hour" && !filters.from
      ? new Date(Math.floor(((filters.to ? Date.parse(filters.to) : Date.now()) - 24 * HOUR) / HOUR) * HOUR).toISOString()
      : undefined;

  const records = usePaged<Usage>(
    (cursor, signal): Promise<Page<Usage>> =>
      admin
        ? api.get("/admin/usage", { query: { ...filters, cursor }, signal })
        : api.get("/user/usage", { query: { ...filters, user_id: undefined, cursor }, signal }),
    key,
  );
  const summary = (groupBy: string | undefined, granularity = "total", from = filters.from) => (signal: AbortSignal) =>
    admin
      ? api.get("/admin/usage/summary", { query: { ...filters, from, granularity, group_by: groupBy }, signal })
      : api.get("/user/usage/summary", { query: { ...filters, from, user_id: undefined, granularity, group_by: groupBy }, signal });
  const totals = useApi(summary(undefined), key);
  const grouped = useApi(
    (signal) => (group || per ? summary(group || undefined, per || "total", hourlyFrom ?? filters.from)(signal) : Promise.resolve(null)),
    `${key}|${group}|${per}`,
  );
  const loadRecords = (cursor: string | undefined, limit: number) =>
    admin
      ? api.get("/admin/usage", { query: { ...filters, cursor, limit } })
      : api.get("/user/usage", { query: { ...filters, user_id: undefined, cursor, limit } });

  const apply = (form: HTMLFormElement) => {
    const data = new FormData(form);
    const next = new URLSearchParams();
    for (const name of [...FILTERS, "group", "per"]) {
      const v = String(data.get(name) ?? "").trim();
      if (v) next.set(name, v);
    }
    setParams(next);
  };

  const keyName = (id: string | null | undefined) => {
    if (!id) return "—";
    if (scope.kind === "own") {
      const k = scope.keys.find((k) => k.id === id);
      return k ? (k.label ?? k.api_key) : `#${id}`;
    }
    return `#${id}`;
  };

  const total = totals.data?.total;
  const byCost = (a: SummaryRow, b: SummaryRow) => Number(b.cost_usd ?? 0) - Number(a.cost_usd ?? 0) || (b.requests ?? 0) - (a.requests ?? 0);
  const groupRows = ((grouped.data?.data ?? []) as SummaryRow[])
    .slice()
    .sort((a, b) => (per ? (a.time ?? "").localeCompare(b.time ?? "") : 0) || byCost(a, b));
  const groupLabel = (row: SummaryRow) => {
    switch (group) {
      case "user":
        return scope.kind === "admin" ? scope.userName(row.user_id) : "—";
      case "key":
        return keyName(row.key_id);
      case "provider":
        return row.provider ?? "—";
      case "model":
        return row.model ?? "—";
      default:
        return "";
    }
  };

  const columns = admin ? 12 : 11;

  return (
    <>
      <form
        className="filters"
        role="search"
        key={params.toString()}
        onSubmit={(event) => {
          event.preventDefault();
          apply(event.currentTarget);
        }}
      >
        {scope.kind === "admin" && (
          <Field label={t("usage.user")}>
            {(props) => (
              <IdSelect
                {...props}
                name="user_id"
                defaultValue={value("user_id")}
                none={{ label: t("common.all") }}
                choices={scope.users.map((u) => ({ id: u.id, label: u.name }))}
              />
            )}
          </Field>
        )}
        {scope.kind === "own" ? (
          <Field label={t("usage.key")}>
            {(props) => (
              <IdSelect
                {...props}
                name="key_id"
                defaultValue={value("key_id")}
                none={{ label: t("common.all") }}
                choices={scope.keys.map((k) => ({ id: k.id, label: k.label ?? k.api_key }))}
              />
            )}
          </Field>
        ) : (
          <Field label={t("usage.keyId")}>
            {(props) => <input {...props} name="key_id" defaultValue={value("key_id")} inputMode="numeric" size={8} />}
          </Field>
        )}
        <Field label={t("usage.provider")}>
          {(props) => <input {...props} name="provider" defaultValue={value("provider")} size={14} />}
        </Field>
        <Field label={t("usage.model")}>{(props) => <input {...props} name="model" defaultValue={value("model")} size={16} />}</Field>
        <Field label={t("usage.from")}>
          {(props) => <input {...props} name="from" type="datetime-local" defaultValue={value("from")} />}
        </Field>
        <Field label={t("usage.to")}>{(props) => <input {...props} name="to" type="datetime-local" defaultValue={value("to")} />}</Field>
        <Field label={t("usage.groupBy")}>
          {(props) => (
            <select {...props} name="group" defaultValue={group}>
              <option value="">{t("usage.noGrouping")}</option>
              {GROUPS.filter((g) => admin || g !== "user").map((g) => (
                <option key={g} value={g}>
                  {t(`usage.group.${g}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("usage.per")}>
          {(props) => (
            <select {...props} name="per" defaultValue={per}>
              <option value="">{t("usage.per.total")}</option>
              {PERS.map((p) => (
                <option key={p} value={p}>
                  {t(`usage.per.${p}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="filter-actions">
          <button type="submit" className="primary">
            {t("common.apply")}
          </button>
          <button type="button" onClick={() => setParams(new URLSearchParams())}>
            {t("common.clear")}
          </button>
        </div>
      </form>

      <section aria-label={t("usage.totals")} className="stats">
        {totals.error && <ErrorNotice error={totals.error} />}
        <Stat label={t("usage.requests")} value={fmt.number(total?.requests)} />
        <Stat label={t("usage.inputTokens")} value={fmt.number(total?.input_tokens)} />
        <Stat label={t("usage.outputTokens")} value={fmt.number(total?.output_tokens)} />
        <Stat label={t("usage.cacheReadTokens")} value={fmt.number(total?.cache_read_tokens)} />
        <Stat label={t("usage.cost")} value={fmt.money(total?.cost_usd)} />
      </section>

      {(group || per) && (
        <UsageSummaryTable
          group={group}
          per={per}
          hourlyDefault={hourlyFrom !== undefined}
          rows={groupRows}
          loading={grouped.loading}
          error={grouped.error}
          label={groupLabel}
        />
      )}

      <section aria-labelledby="records-heading">
        <div className="section-header">
          <h2 id="records-heading">{t("usage.records")}</h2>
          <UsageExport load={loadRecords} userName={scope.kind === "admin" ? scope.userName : undefined} keyName={keyName} />
        </div>
        <div className="table-wrap">
          <table className="dense">
            <thead>
              <tr>
                <th scope="col">{t("usage.time")}</th>
                {admin && <th scope="col">{t("usage.user")}</th>}
                <th scope="col">{t("usage.key")}</th>
                <th scope="col">{t("usage.providerModel")}</th>
                <th scope="col">{t("usage.operation")}</th>
                <th scope="col">{t("common.status")}</th>
                <th scope="col" className="num">{t("usage.input")}</th>
                <th scope="col" className="num">{t("usage.output")}</th>
                <th scope="col" className="num">{t("usage.cacheRead")}</th>
                <th scope="col" className="num">{t("usage.cost")}</th>
                <th scope="col" className="num">{t("usage.latency")}</th>
                <th scope="col">{t("usage.requestId")}</th>
              </tr>
            </thead>
            <tbody>
              <TableState colSpan={columns} loading={records.loading} error={records.error} empty={records.rows.length === 0} />
              {records.rows.map((row) => (
                <tr key={row.request_id}>
                  <td className="nowrap">{fmt.dateTime(row.time)}</td>
                  {scope.kind === "admin" && <td>{scope.userName(row.user_id)}</td>}
                  <td className="nowrap">{keyName(row.key_id)}</td>
                  <td className="nowrap">
                    <code>{row.model}</code>
                    <div className="muted">{row.provider}</div>
                  </td>
                  <td>
                    {row.operation}
                    <div className="muted">{row.protocol}</div>
                  </td>
                  <td>
                    <StatusBadge status={row.status} />
                  </td>
                  <td className="num">{fmt.number(row.input_tokens)}</td>
                  <td className="num">
                    {fmt.number(row.output_tokens)}
                    {row.estimated && (
                      <abbr className="muted" title={t("usage.estimated")}>
                        {" "}
                        ≈
                      </abbr>
                    )}
                  </td>
                  <td className="num">{fmt.number(row.cache_read_tokens)}</td>
                  <td className="num" title={row.cost_usd === null || row.cost_usd === undefined ? t("usage.noPrice") : undefined}>
                    {fmt.money(row.cost_usd)}
                  </td>
                  <td className="num nowrap">
                    {fmt.duration(row.latency_ms)}
                    {row.ttfb_ms !== null && row.ttfb_ms !== undefined && (
                      <div className="muted">{t("usage.ttfb", { ms: fmt.duration(row.ttfb_ms) })}</div>
                    )}
                  </td>
                  <td className="truncate id-cell" title={row.request_id}>
                    {admin ? (
                      <Link to={`/logs/${encodeURIComponent(row.request_id)}`}>
                        <code>{row.request_id}</code>
                      </Link>
                    ) : (
                      <code>{row.request_id}</code>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Pager page={records} />
      </section>
    </>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
    </div>
  );
}
