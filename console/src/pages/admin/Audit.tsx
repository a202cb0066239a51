// The audit log: every admin write, newest first, paged by the server; each entry opens to its
// before / after side by side, key by key, with the changed keys marked.
import { useState } from "react";
import { api, type Schemas } from "../../api/client";
import { Badge, type Tone } from "../../components/Badge";
import { TableState } from "../../components/feedback";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { useI18n } from "../../i18n";
import { diffRows } from "../../lib/diff";
import { usePaged } from "../../lib/hooks";

type Entry = Schemas["AuditEntry"];

const TONES: Record<string, Tone> = { create: "ok", update: "neutral", delete: "bad", reset: "warn", import: "warn" };

export function AuditDiff({ entry }: { entry: Entry }) {
  const { t } = useI18n();
  const rows = diffRows(entry.before, entry.after);
  if (rows.length === 0) return <p className="muted">{t("audit.noChange")}</p>;
  return (
    <div className="table-wrap">
      <table className="diff">
        <thead>
          <tr>
            <th scope="col">{t("audit.field")}</th>
            <th scope="col">{t("audit.before")}</th>
            <th scope="col">{t("audit.after")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key} className={row.changed ? "diff-changed" : undefined}>
              <th scope="row">
                <code>{row.key || "—"}</code>
                {row.changed && <span className="visually-hidden"> ({t("audit.changed")})</span>}
              </th>
              <td>{row.before === null ? <span className="muted">—</span> : <pre className="diff-before">{row.before}</pre>}</td>
              <td>{row.after === null ? <span className="muted">—</span> : <pre className="diff-after">{row.after}</pre>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Audit() {
  const { t } = useI18n();
  const page = usePaged((cursor, signal) => api.get("/admin/audit", { query: { cursor }, signal }), "");
  const [open, setOpen] = useState<string | null>(null);

  return (
    <>
      <PageHeader title={t("audit.title")} />
      <p className="muted">{t("audit.intro")}</p>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("usage.time")}</th>
              <th scope="col">{t("audit.actor")}</th>
              <th scope="col">{t("audit.action")}</th>
              <th scope="col">{t("audit.resource")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={5} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((entry) => (
              <AuditRow key={entry.id} entry={entry} open={open === entry.id} onToggle={() => setOpen(open === entry.id ? null : entry.id)} />
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={page} />
    </>
  );

}

function AuditRow({ entry, open, onToggle }: { entry: Entry; open: boolean; onToggle(): void }) {
  const { t, fmt } = useI18n();
  const detailId = `audit-${entry.id}`;
  return (
    <>
      <tr>
        <td className="nowrap">{fmt.dateTime(entry.time)}</td>
        <td>{entry.actor}</td>
        <td>
          <Badge tone={TONES[entry.action] ?? "neutral"}>{entry.action}</Badge>
        </td>
        <td>
          {entry.resource}
          {entry.resource_id && <span className="muted"> #{entry.resource_id}</span>}
        </td>
        <td className="row-actions">
          <button type="button" className="small" aria-expanded={open} aria-controls={detailId} onClick={onToggle}>
            {open ? t("audit.hide") : t("audit.show")}
          </button>
        </td>
      </tr>
      {open && (
        <tr id={detailId}>
          <td colSpan={5}>
            <AuditDiff entry={entry} />
          </td>
        </tr>
      )}
    </>
  );
}
