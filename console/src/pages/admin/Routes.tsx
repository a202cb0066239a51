// Routes: a name clients may call that spreads over several provider models (members, by tier
// then weight). The list, a new route, enable/disable and delete; a route's page edits it.
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, toApiError, type ApiError, type Schemas } from "../../api/client";
import { EnabledBadge } from "../../components/Badge";
import { DeleteButton } from "../../components/ConfirmButton";
import { ErrorNotice, TableState } from "../../components/feedback";
import { FormDialog } from "../../components/FormDialog";
import { Checkbox, Field, checked, text, useSubmit } from "../../components/forms";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { useI18n } from "../../i18n";
import { usePaged } from "../../lib/hooks";

type Route = Schemas["Route"];
export const ROUTE_FIELDS = ["name", "enabled"] as const;

export function Routes() {
  const { t, fmt } = useI18n();
  const navigate = useNavigate();
  const [adding, setAdding] = useState(false);
  const [rowError, setRowError] = useState<ApiError | null>(null);
  const page = usePaged((cursor, signal) => api.get("/admin/routes", { query: { cursor }, signal }), "");

  const create = useSubmit(async (form) => {
    const route = await api.post("/admin/routes", { body: { name: text(form, "name") ?? "", enabled: checked(form, "enabled") } });
    setAdding(false);
    navigate(`/routes/${encodeURIComponent(route.id)}`);
  });
  const toggle = async (route: Route) => {
    setRowError(null);
    try {
      await api.patch("/admin/routes/{id}", { path: { id: route.id }, body: { enabled: !route.enabled } });
      page.reload();
    } catch (error) {
      setRowError(toApiError(error));
    }
  };

  return (
    <>
      <PageHeader title={t("routes.title")}>
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t("routes.new")}
        </button>
      </PageHeader>
      <p className="muted">{t("routes.intro")}</p>
      {rowError && <ErrorNotice error={rowError} />}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("routes.name")}</th>
              <th scope="col" className="num">{t("routes.members")}</th>
              <th scope="col">{t("common.status")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={4} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/routes/${encodeURIComponent(r.id)}`}>
                    <code>{r.name}</code>
                  </Link>
                </td>
                <td className="num">{fmt.number(r.members.length)}</td>
                <td>
                  <EnabledBadge enabled={r.enabled} />
                </td>
                <td className="row-actions">
                  <button type="button" className="small" onClick={() => void toggle(r)}>
                    {r.enabled ? t("common.disable") : t("common.enable")}
                  </button>
                  <DeleteButton
                    title={t("routes.deleteTitle")}
                    message={t("routes.deleteBody", { name: r.name })}
                    onConfirm={async () => {
                      await api.delete("/admin/routes/{id}", { path: { id: r.id } });
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
        title={t("routes.new")}
        open={adding}
        onClose={() => setAdding(false)}
        submit={create}
        fields={ROUTE_FIELDS}
        submitLabel={t("common.create")}
      >
        <Field label={t("routes.name")} error={create.fieldError("name")} hint={t("routes.nameHint")}>
          {(props) => <input {...props} name="name" required autoComplete="off" autoFocus />}
        </Field>
        <Checkbox label={t("common.enabled")} name="enabled" defaultChecked error={create.fieldError("enabled")} />
      </FormDialog>
    </>
  );
}
