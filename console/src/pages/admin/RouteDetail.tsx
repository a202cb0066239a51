// One route: its name and state, and its members (provider model, tier, weight): add, edit,
// remove.
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, ApiError, type Schemas } from "../../api/client";
import { EnabledBadge } from "../../components/Badge";
import { ConfirmButton, DeleteButton } from "../../components/ConfirmButton";
import { ErrorNotice, Loading, TableState } from "../../components/feedback";
import { FormDialog } from "../../components/FormDialog";
import { Checkbox, Field, FormActions, SubmitButton, checked, text, useSubmit, type Submit } from "../../components/forms";
import { PageHeader } from "../../components/PageHeader";
import { useI18n } from "../../i18n";
import { useApi } from "../../lib/hooks";
import { TargetFields } from "./Aliases";
import { ROUTE_FIELDS } from "./Routes";

type Member = Schemas["Member"];
const MEMBER_FIELDS = ["provider", "model_id", "tier", "weight"] as const;

function integer(form: FormData, name: string, fallback: number, message: string): number {
  const value = text(form, name);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new ApiError(400, message, name);
  return Number(value);
}

function MemberFields({ submit, member }: { submit: Submit; member?: Member }) {
  const { t } = useI18n();
  return (
    <>
      <TargetFields submit={submit} provider={member?.provider} modelId={member?.model_id} />
      <div className="price-grid">
        <Field label={t("routes.tier")} error={submit.fieldError("tier")} hint={t("routes.tierHint")}>
          {(props) => <input {...props} name="tier" inputMode="numeric" defaultValue={member?.tier ?? 0} />}
        </Field>
        <Field label={t("routes.weight")} error={submit.fieldError("weight")} hint={t("routes.weightHint")}>
          {(props) => <input {...props} name="weight" inputMode="numeric" defaultValue={member?.weight ?? 1} />}
        </Field>
      </div>
    </>
  );
}

export function RouteDetail() {
  const { id = "" } = useParams();
  const { t, fmt } = useI18n();
  const navigate = useNavigate();
  const route = useApi((signal) => api.get("/admin/routes/{id}", { path: { id }, signal }), id);
  const members = useApi((signal) => api.get("/admin/routes/{id}/members", { path: { id }, signal }), id);
  const [saved, setSaved] = useState(false);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Member | null>(null);

  const save = useSubmit(async (form) => {
    setSaved(false);
    await api.patch("/admin/routes/{id}", { path: { id }, body: { name: text(form, "name") ?? "", enabled: checked(form, "enabled") } });
    setSaved(true);
    route.reload();
  });
  const memberBody = (form: FormData) => ({
    provider: text(form, "provider") ?? "",
    model_id: text(form, "model_id") ?? "",
    tier: integer(form, "tier", 0, t("routes.integer")),
    weight: integer(form, "weight", 1, t("routes.integer")),
  });
  const add = useSubmit(async (form) => {
    await api.post("/admin/routes/{id}/members", { path: { id }, body: memberBody(form) });
    setAdding(false);
    members.reload();
  });
  const edit = useSubmit(async (form) => {
    if (!editing) return;
    await api.patch("/admin/routes/{id}/members/{member_id}", { path: { id, member_id: editing.id }, body: memberBody(form) });
    setEditing(null);
    members.reload();
  });

  if (route.error) return <ErrorNotice error={route.error} />;
  if (!route.data) return <Loading />;
  const r = route.data;
  const rows = (members.data?.data ?? []).slice().sort((a, b) => a.tier - b.tier || b.weight - a.weight);

  return (
    <>
      <p className="breadcrumb">
        <Link to="/routes">← {t("routes.title")}</Link>
      </p>
      <PageHeader title={r.name}>
        <EnabledBadge enabled={r.enabled} />
        <DeleteButton
          title={t("routes.deleteTitle")}
          message={t("routes.deleteBody", { name: r.name })}
          onConfirm={async () => {
            await api.delete("/admin/routes/{id}", { path: { id } });
            navigate("/routes");
          }}
        />
      </PageHeader>
      <form className="card" key={`${r.name}|${r.enabled}`} onSubmit={save.onSubmit}>
        <Field label={t("routes.name")} error={save.fieldError("name")} hint={t("routes.nameHint")}>
          {(props) => <input {...props} name="name" required defaultValue={r.name} autoComplete="off" />}
        </Field>
        <Checkbox label={t("common.enabled")} name="enabled" defaultChecked={r.enabled} error={save.fieldError("enabled")} />
        <FormActions error={save.formError(ROUTE_FIELDS)}>
          {saved && (
            <span className="muted" role="status">
              {t("common.saved")}
            </span>
          )}
          <SubmitButton busy={save.busy}>{t("common.save")}</SubmitButton>
        </FormActions>
      </form>
      <section aria-labelledby="members-heading">
        <div className="section-header">
          <h2 id="members-heading">{t("routes.members")}</h2>
          <button type="button" className="primary small" onClick={() => setAdding(true)}>
            {t("routes.addMember")}
          </button>
        </div>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("aliases.target")}</th>
                <th scope="col" className="num">{t("routes.tier")}</th>
                <th scope="col" className="num">{t("routes.weight")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("common.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              <TableState colSpan={4} loading={members.loading} error={members.error} empty={rows.length === 0} />
              {rows.map((m) => (
                <tr key={m.id}>
                  <td>
                    <code>{m.model_id}</code>
                    <div className="muted">{m.provider}</div>
                  </td>
                  <td className="num">{fmt.number(m.tier)}</td>
                  <td className="num">{fmt.number(m.weight)}</td>
                  <td className="row-actions">
                    <button type="button" className="small" onClick={() => setEditing(m)}>
                      {t("common.edit")}
                    </button>
                    <ConfirmButton
                      danger
                      label={t("routes.removeMember")}
                      title={t("routes.removeTitle")}
                      message={t("routes.removeBody", { name: `${m.provider}/${m.model_id}` })}
                      confirmLabel={t("routes.removeMember")}
                      onConfirm={async () => {
                        await api.delete("/admin/routes/{id}/members/{member_id}", { path: { id, member_id: m.id } });
                        members.reload();
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <FormDialog
        title={t("routes.addMember")}
        open={adding}
        onClose={() => setAdding(false)}
        submit={add}
        fields={MEMBER_FIELDS}
        submitLabel={t("common.create")}
      >
        <MemberFields submit={add} />
      </FormDialog>
      <FormDialog
        title={t("routes.editMember")}
        open={editing !== null}
        onClose={() => setEditing(null)}
        submit={edit}
        fields={MEMBER_FIELDS}
        submitLabel={t("common.save")}
      >
        {editing && (
          <>
            <MemberFields submit={edit} member={editing} />
          </>
        )}
      </FormDialog>
    </>
  );
}
