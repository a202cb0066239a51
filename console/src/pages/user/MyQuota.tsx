// The signed-in user's budget (limit, used, held by calls in flight) and rate limits.
import { api } from "../../api/client";
import { ErrorNotice, Loading, TableState } from "../../components/feedback";
import { PageHeader } from "../../components/PageHeader";
import { useI18n, type MessageKey } from "../../i18n";
import { useApi } from "../../lib/hooks";

const periods: Record<string, MessageKey> = {
  none: "quota.period.none",
  daily: "quota.period.daily",
  monthly: "quota.period.monthly",
};

export function MyQuota() {
  const { t, fmt } = useI18n();
  const quota = useApi((signal) => api.get("/user/quota", { signal }), "quota");
  const limits = useApi((signal) => api.get("/user/rate-limits", { signal }), "limits");

  const q = quota.data;
  // Exact decimals: the bar only needs a float for its width.
  const share = q && Number(q.limit_usd) > 0 ? Math.min(1, (Number(q.used_usd) + Number(q.reserved_usd)) / Number(q.limit_usd)) : 0;
  const rows = limits.data?.data ?? [];
  const ceiling = (value: number | null | undefined) => (value === null || value === undefined ? t("quota.unlimited") : fmt.number(value));

  return (
    <>
      <PageHeader title={t("nav.myQuota")} />
      <section className="card" aria-labelledby="quota-heading">
        <h2 id="quota-heading">{t("quota.budget")}</h2>
        {quota.error?.status === 404 ? (
          <p className="muted">{t("quota.none")}</p>
        ) : quota.error ? (
          <ErrorNotice error={quota.error} />
        ) : !q ? (
          <Loading />
        ) : (
          <>
            <div className="meter" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(share * 100)} aria-label={t("quota.usedShare")}>
              <div className={share >= 1 ? "meter-fill meter-full" : "meter-fill"} style={{ width: `${share * 100}%` }} />
            </div>
            <dl className="facts">
              <div>
                <dt>{t("quota.limit")}</dt>
                <dd>{fmt.money(q.limit_usd)}</dd>
              </div>
              <div>
                <dt>{t("quota.used")}</dt>
                <dd>{fmt.money(q.used_usd)}</dd>
              </div>
              <div>
                <dt>{t("quota.reserved")}</dt>
                <dd>{fmt.money(q.reserved_usd)}</dd>
              </div>
              <div>
                <dt>{t("quota.period")}</dt>
                <dd>{periods[q.period] ? t(periods[q.period]) : q.period}</dd>
              </div>
              <div>
                <dt>{t("quota.periodStart")}</dt>
                <dd>{fmt.dateTime(q.period_start)}</dd>
              </div>
            </dl>
          </>
        )}
      </section>
      <section aria-labelledby="limits-heading">
        <h2 id="limits-heading">{t("quota.rateLimits")}</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("quota.modelPattern")}</th>
                <th scope="col" className="num">{t("quota.rpm")}</th>
                <th scope="col" className="num">{t("quota.rpd")}</th>
                <th scope="col" className="num">{t("quota.tpm")}</th>
                <th scope="col" className="num">{t("quota.tpd")}</th>
              </tr>
            </thead>
            <tbody>
              <TableState colSpan={5} loading={limits.loading} error={limits.error} empty={rows.length === 0} />
              {rows.map((limit) => (
                <tr key={limit.id}>
                  <td>
                    <code>{limit.model_pattern}</code>
                  </td>
                  <td className="num">{ceiling(limit.rpm)}</td>
                  <td className="num">{ceiling(limit.rpd)}</td>
                  <td className="num">{ceiling(limit.tpm)}</td>
                  <td className="num">{ceiling(limit.tpd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
