// One "top N by cost" table of the dashboard.
import { useId } from "react";
import { useI18n } from "../../i18n";
import { top, type SummaryRow } from "../../lib/overview";

export function TopTable({
  title,
  column,
  rows,
  name,
  limit = 5,
}: {
  title: string;
  column: string;
  rows: SummaryRow[];
  name(row: SummaryRow): string;
  limit?: number;
}) {
  const { t, fmt } = useI18n();
  const id = useId();
  const shown = top(rows, limit);
  return (
    <section aria-labelledby={id} className="top-table">
      <h2 id={id}>{title}</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{column}</th>
              <th scope="col" className="num">{t("usage.requests")}</th>
              <th scope="col" className="num">{t("overview.tokens")}</th>
              <th scope="col" className="num">{t("usage.cost")}</th>
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  {t("common.empty")}
                </td>
              </tr>
            )}
            {shown.map((row, i) => (
              <tr key={i}>
                <td>{name(row)}</td>
                <td className="num">{fmt.number(row.requests)}</td>
                <td className="num">{fmt.number((row.input_tokens ?? 0) + (row.output_tokens ?? 0))}</td>
                <td className="num">{fmt.money(row.cost_usd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
