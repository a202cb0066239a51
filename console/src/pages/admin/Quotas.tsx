// Quotas: a user's budget in USD per period (none / daily / monthly), with what is used and held
// by calls in flight shown as exact money; new, edit limit and period, reset used to 0, delete.
import { useState } from "react";
import { api, type Schemas } from "../../api/client";
import { ConfirmButton, DeleteButton } from "../../components/ConfirmButton";
import { TableState } from "../../components/feedback";
import { FormDialog } from "../../components/FormDialog";
import { Field, text, useSubmit, type Submit } from "../../components/forms";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { UserFilter, UserSelect, useUserFilter } from "../../components/UserPick";
import { useI18n } from "../../i18n";
import { useUsers } from "../../lib/directory";
import { usePaged } from "../../lib/hooks";

type Quota = Schemas["Quota"];
const PERIODS = ["none", "daily", "monthly"] as const;
const FIELDS = ["user_id", "limit_usd", "period"] as const;

function QuotaFields({ submit, quota }: { submit: Submit; quota?: Quota }) {
  const { t } = useI18n();
  return (
    <>
      <Field label={t("quota.limit")} error={submit.fieldError("limit_usd")} hint={t("quotas.limitHint")}>
        {(props) => (
          <input {...props} name="limit_usd" required inputMode="decimal" placeholder="10.00" defaultValue={quota?.limit_usd ?? ""} autoComplete="off" />
        )}
      </Field>
      <Field label={t("quota.period")} error={submit.fieldError("period")}>
        {(props) => (
          <select {...props} name="period" defaultValue={quota?.period ?? "monthly"}>
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                {t(`quota.period.${p}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
    </>
  );
}

export function Quotas() {
  const { t, fmt } = useI18n();
  const userId = useUserFilter();
  const { users, name } = useUsers();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Quota | null>(null);
  const page = usePaged((cursor, signal) => api.get("/admin/quotas", { query: { cursor, user_id: userId }, signal }), userId);

  const create = useSubmit(async (form) => {
    await api.post("/admin/quotas", {
      body: { user_id: String(form.get("user_id") ?? ""), limit_usd: text(form, "limit_usd") ?? "", period: text(form, "period") },
    });
    setAdding(false);
    page.reload();
  });
  const edit = useSubmit(async (form) => {
    if (!editing) return;
    await api.patch("/admin/quotas/{id}", {
      path: { id: editing.id },
      body: { limit_usd: text(form, "limit_usd") ?? "", period: text(form, "period") ?? null },
    });
    setEditing(null);
    page.reload();
  });

  const periodLabel = (p: string) => ((PERIODS as readonly string[]).includes(p) ? t(`quota.period.${p as (typeof PERIODS)[number]}`) : p);

  return (
    <>
      <PageHeader title={t("quotas.title")}>
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t("quotas.new")}
        </button>
      </PageHeader>
      <UserFilter users={users} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("usage.user")}</th>
              <th scope="col" className="num">{t("quota.used")}</th>
              <th scope="col" className="num">{t("quota.reserved")}</th>
              <th scope="col" className="num">{t("quota.limit")}</th>
              <th scope="col">{t("quota.period")}</th>
              <th scope="col">{t("quota.periodStart")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={7} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((q) => (
              <tr key={q.id}>
                <td>{name(q.user_id)}</td>
                <td className="num">{fmt.money(q.used_usd)}</td>
                <td className="num">{fmt.money(q.reserved_usd)}</td>
                <td className="num">{fmt.money(q.limit_usd)}</td>
                <td>{periodLabel(q.period)}</td>
                <td className="nowrap">{fmt.dateTime(q.period_start)}</td>
                <td className="row-actions">
                  <button type="button" className="small" onClick={() => setEditing(q)}>
                    {t("common.edit")}
                  </button>
                  <ConfirmButton
                    label={t("quotas.reset")}
                    title={t("quotas.resetTitle")}
                    message={t("quotas.resetBody", { name: name(q.user_id), used: fmt.money(q.used_usd) })}
                    confirmLabel={t("quotas.reset")}
                    onConfirm={async () => {
                      await api.post("/admin/quotas/{id}/reset", { path: { id: q.id } });
                      page.reload();
                    }}
                  />
                  <DeleteButton
                    title={t("quotas.deleteTitle")}
                    message={t("quotas.deleteBody", { name: name(q.user_id) })}
                    onConfirm={async () => {
                      await api.delete("/admin/quotas/{id}", { path: { id: q.id } });
                      page.reload();
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={page} />
      <FormDialog
        title={t("quotas.new")}
        open={adding}
        onClose={() => setAdding(false)}
        submit={create}
        fields={FIELDS}
        submitLabel={t("common.create")}
      >
        <UserSelect users={users} error={create.fieldError("user_id")} defaultValue={userId} />
        <QuotaFields submit={create} />
      </FormDialog>
      <FormDialog
        title={t("quotas.editTitle")}
        open={editing !== null}
        onClose={() => setEditing(null)}
        submit={edit}
        fields={FIELDS}
        submitLabel={t("common.save")}
      >
        {editing && (
          <>
            <p className="muted">{name(editing.user_id)}</p>
            <QuotaFields submit={edit} quota={editing} />
          </>
        )}
      </FormDialog>
    </>
  );
}
