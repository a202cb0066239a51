// Request logs: newest first, filtered by user, status and time (kept in the URL), and a lookup
// by request id that opens the request whatever the filters say.
import { Link, useNavigate, useSearchParams } from "react-router";
import { api } from "../../api/client";
import { StatusBadge } from "../../components/Badge";
import { TableState } from "../../components/feedback";
import { Field, localTimeToRfc3339 } from "../../components/forms";
import { IdSelect } from "../../components/IdSelect";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { useI18n } from "../../i18n";
import { useUsers } from "../../lib/directory";
import { usePaged } from "../../lib/hooks";

const FILTERS = ["user_id", "status", "from", "to"] as const;

export function Logs() {
  const { t, fmt } = useI18n();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const { users, name } = useUsers();
  const value = (key: string) => params.get(key) ?? "";
  const filters = {
    user_id: value("user_id"),
    status: value("status"),
    from: localTimeToRfc3339(value("from")),
    to: localTimeToRfc3339(value("to")),
  };
  const page = usePaged((cursor, signal) => api.get("/admin/logs", { query: { ...filters, cursor }, signal }), JSON.stringify(filters));

  return (
    <>
      <PageHeader title={t("logs.title")} />
      <form
        className="filters lookup"
        role="search"
        aria-label={t("logs.lookup")}
        onSubmit={(event) => {
          event.preventDefault();
          const id = String(new FormData(event.currentTarget).get("request_id") ?? "").trim();
          if (id) navigate(`/logs/${encodeURIComponent(id)}`);
        }}
      >
        <Field label={t("logs.requestId")} hint={t("logs.lookupHint")}>
          {(props) => <input {...props} name="request_id" className="mono" size={36} autoComplete="off" />}
        </Field>
        <div className="filter-actions">
          <button type="submit" className="primary">
            {t("logs.open")}
          </button>
        </div>
      </form>
      <form
        className="filters"
        role="search"
        key={params.toString()}
        onSubmit={(event) => {
          event.preventDefault();
          const data = new FormData(event.currentTarget);
          const next = new URLSearchParams();
          for (const key of FILTERS) {
            const v = String(data.get(key) ?? "").trim();
            if (v) next.set(key, v);
          }
          setParams(next);
        }}
      >
        <Field label={t("usage.user")}>
          {(props) => (
            <IdSelect
              {...props}
              name="user_id"
              defaultValue={value("user_id")}
              none={{ label: t("common.all") }}
              choices={users.map((u) => ({ id: u.id, label: u.name }))}
            />
          )}
        </Field>
        <Field label={t("common.status")}>
          {(props) => (
            <input {...props} name="status" defaultValue={value("status")} inputMode="numeric" pattern="[1-5][0-9][0-9]" size={5} placeholder="429" />
          )}
        </Field>
        <Field label={t("usage.from")}>
          {(props) => <input {...props} name="from" type="datetime-local" defaultValue={value("from")} />}
        </Field>
        <Field label={t("usage.to")}>{(props) => <input {...props} name="to" type="datetime-local" defaultValue={value("to")} />}</Field>
        <div className="filter-actions">
          <button type="submit" className="primary">
            {t("common.apply")}
          </button>
          <button type="button" onClick={() => setParams(new URLSearchParams())}>
            {t("common.clear")}
          </button>
        </div>
      </form>
      <div className="table-wrap">
        <table className="dense">
          <thead>
            <tr>
              <th scope="col">{t("usage.time")}</th>
              <th scope="col">{t("usage.user")}</th>
              <th scope="col">{t("logs.request")}</th>
              <th scope="col">{t("common.status")}</th>
              <th scope="col" className="num">{t("usage.latency")}</th>
              <th scope="col">{t("logs.requestId")}</th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={6} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((entry) => (
              <tr key={entry.id}>
                <td className="nowrap">{fmt.dateTime(entry.time)}</td>
                <td>{name(entry.user_id)}</td>
                <td className="truncate">
                  <code>
                    {entry.method} {entry.path}
                  </code>
                </td>
                <td>
                  <StatusBadge status={entry.status} />
                </td>
                <td className="num nowrap">{fmt.duration(entry.latency_ms)}</td>
                <td>
                  <Link to={`/logs/${encodeURIComponent(entry.request_id)}`}>
                    <code>{entry.request_id}</code>
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={page} />
    </>
  );
}
