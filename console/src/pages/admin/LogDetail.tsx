// One request: the downstream side (what the client sent and got) beside the upstream
// attempts (what the gateway sent to providers and got back), bodies pretty-printed.
import { Link, useParams } from "react-router";
import { api, type Schemas } from "../../api/client";
import { StatusBadge } from "../../components/Badge";
import { Body, Headers } from "../../components/Body";
import { ErrorNotice, Loading } from "../../components/feedback";
import { PageHeader } from "../../components/PageHeader";
import { useI18n } from "../../i18n";
import { useUsers } from "../../lib/directory";
import { useApi } from "../../lib/hooks";

type Attempt = Schemas["Attempt"];

export function LogDetail() {
  const { requestId = "" } = useParams();
  const { t, fmt } = useI18n();
  const { name } = useUsers();
  const log = useApi((signal) => api.get("/admin/logs/{request_id}", { path: { request_id: requestId }, signal }), requestId);

  const back = (
    <p className="breadcrumb">
      <Link to="/logs">← {t("logs.title")}</Link>
    </p>
  );
  if (log.error)
    return (
      <>
        {back}
        <PageHeader title={t("logs.detailTitle")} />
        {log.error.status === 404 ? (
          <p className="notice notice-warn" role="alert">
            {t("logs.notFound", { id: requestId })}
          </p>
        ) : (
          <ErrorNotice error={log.error} />
        )}
      </>
    );
  if (!log.data) return <Loading />;
  const entry = log.data;

  return (
    <>
      {back}
      <PageHeader title={t("logs.detailTitle")}>
        <StatusBadge status={entry.status} />
      </PageHeader>
      <dl className="facts">
        <div>
          <dt>{t("logs.requestId")}</dt>
          <dd>
            <code>{entry.request_id}</code>
          </dd>
        </div>
        <div>
          <dt>{t("usage.time")}</dt>
          <dd>{fmt.dateTime(entry.time)}</dd>
        </div>
        <div>
          <dt>{t("usage.user")}</dt>
          <dd>{name(entry.user_id)}</dd>
        </div>
        <div>
          <dt>{t("usage.key")}</dt>
          <dd>{entry.key_id ? `#${entry.key_id}` : "—"}</dd>
        </div>
        <div>
          <dt>{t("usage.latency")}</dt>
          <dd>{fmt.duration(entry.latency_ms)}</dd>
        </div>
        <div>
          <dt>{t("logs.attempts")}</dt>
          <dd>{fmt.number(entry.upstream.length)}</dd>
        </div>
      </dl>
      <div className="sides">
        <section className="side" aria-labelledby="downstream-heading">
          <h2 id="downstream-heading">{t("logs.downstream")}</h2>
          <p>
            <code>
              {entry.method} {entry.path}
            </code>{" "}
            <StatusBadge status={entry.status} />
          </p>
          <h3>{t("logs.requestHeaders")}</h3>
          <Headers headers={entry.request_headers as Record<string, unknown> | null | undefined} />
          <h3>{t("logs.requestBody")}</h3>
          <Body body={entry.request_body} />
          <h3>{t("logs.responseHeaders")}</h3>
          <Headers headers={entry.response_headers as Record<string, unknown> | null | undefined} />
          <h3>{t("logs.responseBody")}</h3>
          <Body body={entry.response_body} />
        </section>
        <section className="side" aria-labelledby="upstream-heading">
          <h2 id="upstream-heading">{t("logs.upstream")}</h2>
          {entry.upstream.length === 0 && <p className="muted">{t("logs.noAttempts")}</p>}
          {entry.upstream.map((attempt, index) => (
            <AttemptView key={attempt.id} attempt={attempt} index={index + 1} open={index === entry.upstream.length - 1} />
          ))}
        </section>
      </div>
    </>
  );
}

function AttemptView({ attempt, index, open }: { attempt: Attempt; index: number; open: boolean }) {
  const { t, fmt } = useI18n();
  return (
    <details className="attempt" open={open}>
      <summary>
        {t("logs.attempt", { n: index })} · {attempt.provider} · <StatusBadge status={attempt.status} /> ·{" "}
        {fmt.duration(attempt.latency_ms)}
      </summary>
      <p>
        <code className="wrap">
          {attempt.method} {attempt.url}
        </code>
      </p>
      <p className="muted">
        {fmt.dateTime(attempt.time)}
        {attempt.credential_id && ` · ${t("logs.credential")} #${attempt.credential_id}`}
      </p>
      {attempt.error && (
        <p className="notice notice-error">
          {t("logs.error")}: {attempt.error}
        </p>
      )}
      <h3>{t("logs.requestHeaders")}</h3>
      <Headers headers={attempt.request_headers as Record<string, unknown> | null | undefined} />
      <h3>{t("logs.requestBody")}</h3>
      <Body body={attempt.request_body} />
      <h3>{t("logs.responseHeaders")}</h3>
      <Headers headers={attempt.response_headers as Record<string, unknown> | null | undefined} />
      <h3>{t("logs.responseBody")}</h3>
      <Body body={attempt.response_body} />
    </details>
  );
}
