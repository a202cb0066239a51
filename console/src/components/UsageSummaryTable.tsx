// The usage explorer's summary table: rows per group (user, key, provider, model) and/or per
// hour or day, from the summary endpoint.
import type { ApiError, Schemas } from "../api/client";
import { useI18n } from "../i18n";
import { TableState } from "./feedback";

export type SummaryRow = Partial<Schemas["Totals"]> & {
  time?: string;
  user_id?: string | null;
  key_id?: string | null;
  provider?: string;
  model?: string;
};

export function UsageSummaryTable({
  group,
  per,
  hourlyDefault,
  rows,
  loading,
  error,
  label,
}: {
  group: "" | "user" | "key" | "provider" | "model";
  per: "" | "hour" | "day";
  hourlyDefault: boolean;
  rows: SummaryRow[];
  loading: boolean;
  error: ApiError | null;
  label(row: SummaryRow): string;
}) {
  const { t, fmt } = useI18n();
  return (
    <section aria-labelledby="group-heading">
      <h2 id="group-heading">
        {group ? t("usage.byGroup", { group: t(`usage.group.${group}`) }) : t(`usage.per.${per || "hour"}`)}
        {group && per && ` · ${t(`usage.per.${per}`)}`}
      </h2>
      {hourlyDefault && <p className="muted">{t("usage.hourlyDefault")}</p>}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              {per && <th scope="col">{t("usage.time")}</th>}
              {group && <th scope="col">{t(`usage.group.${group}`)}</th>}
              <th scope="col" className="num">{t("usage.requests")}</th>
              <th scope="col" className="num">{t("usage.inputTokens")}</th>
              <th scope="col" className="num">{t("usage.outputTokens")}</th>
              <th scope="col" className="num">{t("usage.cacheReadTokens")}</th>
              <th scope="col" className="num">{t("usage.cost")}</th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={5 + (per ? 1 : 0) + (group ? 1 : 0)} loading={loading} error={error} empty={rows.length === 0} />
            {rows.map((row, index) => (
              <tr key={index}>
                {per && <td className="nowrap">{fmt.dateTime(row.time)}</td>}
                {group && <td>{label(row)}</td>}
                <td className="num">{fmt.number(row.requests)}</td>
                <td className="num">{fmt.number(row.input_tokens)}</td>
                <td className="num">{fmt.number(row.output_tokens)}</td>
                <td className="num">{fmt.number(row.cache_read_tokens)}</td>
                <td className="num">{fmt.money(row.cost_usd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
