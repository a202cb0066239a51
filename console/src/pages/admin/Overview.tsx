// The admin's landing page: requests, tokens, cost and errors over the last 24 hours (by hour)
// or 30 days (by day) next to the same span before, and the top users, models and providers by
// cost. All from the usage summary (rollups); errors are the calls not answered 200 (all
// minus `status=200`).
import { useSearchParams } from "react-router";
import { api, type Schemas } from "../../api/client";
import { Chart } from "../../components/Chart";
import { ErrorNotice } from "../../components/feedback";
import { PageHeader } from "../../components/PageHeader";
import { useI18n } from "../../i18n";
import { useUsers } from "../../lib/directory";
import { useApi } from "../../lib/hooks";
import { change, difference, series, sum, windowFor, type Period, type SummaryRow } from "../../lib/overview";
import { TopTable } from "./TopTable";

type Summary = Schemas["Summary"];

export function Overview() {
  const { t, fmt, locale } = useI18n();
  const [params, setParams] = useSearchParams();
  const period: Period = params.get("period") === "30d" ? "30d" : "24h";
  const { name } = useUsers();
  // The window is fixed when the period is chosen (or the page reloaded), not on every render.
  const loaded = useApi(async (signal) => {
    const w = windowFor(period, Date.now());
    const get = (from: string, to: string, extra: { status?: string; group_by?: string; granularity?: string } = {}) =>
      api.get("/admin/usage/summary", { query: { from, to, granularity: w.granularity, ...extra }, signal });
    const [current, previous, currentOk, previousOk, users, models, providers] = await Promise.all([
      get(w.from, w.to),
      get(w.previousFrom, w.previousTo),
      get(w.from, w.to, { status: "200" }),
      get(w.previousFrom, w.previousTo, { status: "200" }),
      get(w.from, w.to, { group_by: "user", granularity: "total" }),
      get(w.from, w.to, { group_by: "model", granularity: "total" }),
      get(w.from, w.to, { group_by: "provider", granularity: "total" }),
    ]);
    return { w, current, previous, currentOk, previousOk, users, models, providers };
  }, period);

  const tag = locale === "zh" ? "zh-CN" : "en-US";
  const label = new Intl.DateTimeFormat(tag, period === "24h" ? { hour: "2-digit", minute: "2-digit" } : { month: "short", day: "numeric" });
  const compact = new Intl.NumberFormat(tag, { notation: "compact", maximumFractionDigits: 1 });
  const usd = new Intl.NumberFormat(tag, { style: "currency", currency: "USD", maximumFractionDigits: 4 });
  const pct = new Intl.NumberFormat(tag, { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" });

  const d = loaded.data;
  const rows = (s: Summary | undefined) => (s?.data ?? []) as SummaryRow[];
  const chart = (metric: "requests" | "tokens" | "cost") =>
    d
      ? { current: series(rows(d.current), d.w.buckets, metric), previous: series(rows(d.previous), d.w.buckets, metric, d.w.span) }
      : { current: [], previous: [] };
  const requests = chart("requests");
  const tokens = chart("tokens");
  const cost = chart("cost");
  const errors = d
    ? {
        current: difference(requests.current, series(rows(d.currentOk), d.w.buckets, "requests")),
        previous: difference(requests.previous, series(rows(d.previousOk), d.w.buckets, "requests", d.w.span)),
      }
    : { current: [], previous: [] };
  const labels = d ? d.w.buckets.map((b) => label.format(new Date(b))) : [];
  const delta = (now: number, before: number) => {
    const c = change(now, before);
    return c === null ? t("overview.new") : t("overview.vsBefore", { change: pct.format(c) });
  };

  const cards = d
    ? [
        { key: "requests", title: t("usage.requests"), value: fmt.number(d.current.total.requests), s: requests, format: (v: number) => compact.format(v) },
        {
          key: "tokens",
          title: t("overview.tokens"),
          value: fmt.number(d.current.total.input_tokens + d.current.total.output_tokens),
          s: tokens,
          format: (v: number) => compact.format(v),
        },
        { key: "cost", title: t("usage.cost"), value: fmt.money(d.current.total.cost_usd), s: cost, format: (v: number) => usd.format(v) },
        { key: "errors", title: t("overview.errors"), value: fmt.number(sum(errors.current)), s: errors, format: (v: number) => compact.format(v) },
      ]
    : [];

  return (
    <>
      <PageHeader title={t("overview.title")}>
        <div className="segmented" role="group" aria-label={t("overview.period")}>
          {(["24h", "30d"] as const).map((p) => (
            <button key={p} type="button" className="small" aria-pressed={period === p} onClick={() => setParams(p === "24h" ? {} : { period: p })}>
              {t(`overview.period.${p}`)}
            </button>
          ))}
        </div>
        <button type="button" className="small" onClick={loaded.reload}>
          {t("overview.refresh")}
        </button>
      </PageHeader>
      {loaded.error && <ErrorNotice error={loaded.error} />}
      {loaded.loading && !d && (
        <p className="muted" role="status">
          {t("common.loading")}
        </p>
      )}
      {d && (
        <>
          <section className="stats" aria-label={t("usage.totals")}>
            {cards.map((c) => (
              <div className="stat" key={c.key}>
                <div className="stat-label">{c.title}</div>
                <div className="stat-value">{c.value}</div>
                <div className="muted">{delta(sum(c.s.current), sum(c.s.previous))}</div>
              </div>
            ))}
          </section>
          <section className="charts" aria-label={t("overview.charts")}>
            {cards.map((c) => (
              <Chart
                key={c.key}
                title={c.title}
                current={c.s.current}
                previous={c.s.previous}
                labels={labels}
                format={c.format}
                currentLabel={t(`overview.current.${period}`)}
                previousLabel={t(`overview.previous.${period}`)}
                maxLabel={t("overview.max")}
              />
            ))}
          </section>
          <p className="muted">{t("overview.errorsNote")}</p>
          <div className="tops">
            <TopTable title={t("overview.topUsers")} column={t("usage.user")} rows={rows(d.users)} name={(r) => name(r.user_id)} />
            <TopTable title={t("overview.topModels")} column={t("usage.model")} rows={rows(d.models)} name={(r) => r.model ?? "—"} />
            <TopTable title={t("overview.topProviders")} column={t("usage.provider")} rows={rows(d.providers)} name={(r) => r.provider ?? "—"} />
          </div>
        </>
      )}
    </>
  );
}
