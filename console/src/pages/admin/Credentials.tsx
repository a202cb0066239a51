// A provider's credentials with their health: the list (paged) joined with
// GET /admin/credential-statuses?provider= by credential id; add, test, enable/disable, reset, delete.
import { useState } from "react";
import { api, toApiError, type ApiError, type Schemas } from "../../api/client";
import { Badge, EnabledBadge, type Tone } from "../../components/Badge";
import { ConfirmButton, DeleteButton } from "../../components/ConfirmButton";
import { ErrorNotice, TableState } from "../../components/feedback";
import { FormDialog } from "../../components/FormDialog";
import { Checkbox, Field, checked, text, useSubmit } from "../../components/forms";
import { Pager } from "../../components/Pager";
import { useI18n, type MessageKey } from "../../i18n";
import { useApi, usePaged } from "../../lib/hooks";
import { parseSecret } from "../../lib/json";
import { CredentialTest } from "./CredentialTest";

type Status = Schemas["CredentialStatus"];

const FIELDS = ["label", "secret", "enabled"] as const;
const stateTone: Record<string, Tone> = { healthy: "ok", partial: "warn", dead: "bad" };
const stateLabel: Record<string, MessageKey> = {
  healthy: "health.healthy",
  partial: "health.partial",
  dead: "health.dead",
};

function maskedSecret(secret: unknown): string {
  return typeof secret === "string" ? secret : JSON.stringify(secret);
}

export function Credentials({ providerId, providerName }: { providerId: string; providerName: string }) {
  const { t, fmt } = useI18n();
  const [adding, setAdding] = useState(false);
  const [rowError, setRowError] = useState<ApiError | null>(null);
  const page = usePaged(
    (cursor, signal) => api.get("/admin/providers/{id}/credentials", { path: { id: providerId }, query: { cursor }, signal }),
    providerId,
  );
  // Health of every credential of the provider (at most 500 per provider are shown here).
  const health = useApi(
    (signal) => api.get("/admin/credential-statuses", { query: { provider: providerName, limit: 500 }, signal }),
    `${providerName}`,
  );
  const statusOf = new Map<string, Status>((health.data?.data ?? []).map((s) => [s.credential_id, s]));

  const submit = useSubmit(async (form) => {
    await api.post("/admin/providers/{id}/credentials", {
      path: { id: providerId },
      body: {
        label: text(form, "label") ?? null,
        secret: parseSecret(String(form.get("secret") ?? "")),
        enabled: checked(form, "enabled"),
      },
    });
    setAdding(false);
    page.reload();
    health.reload();
  });

  const run = async (action: () => Promise<unknown>) => {
    setRowError(null);
    try {
      await action();
      page.reload();
      health.reload();
    } catch (error) {
      setRowError(toApiError(error));
    }
  };

  return (
    <section aria-labelledby="credentials-heading">
      <div className="section-header">
        <h2 id="credentials-heading">{t("credentials.title")}</h2>
        <div className="page-actions">
          <button type="button" className="small" onClick={() => health.reload()}>
            {t("credentials.refreshHealth")}
          </button>
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            {t("credentials.add")}
          </button>
        </div>
      </div>
      {rowError && <ErrorNotice error={rowError} />}
      {health.error && <ErrorNotice error={health.error} />}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("credentials.label")}</th>
              <th scope="col">{t("credentials.secret")}</th>
              <th scope="col">{t("common.status")}</th>
              <th scope="col">{t("credentials.health")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={5} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((credential) => {
              const status = statusOf.get(credential.id);
              return (
                <tr key={credential.id}>
                  <td>{credential.label ?? <span className="muted">#{credential.id}</span>}</td>
                  <td>
                    <code>{maskedSecret(credential.secret)}</code>
                  </td>
                  <td>
                    <EnabledBadge enabled={credential.enabled} />
                  </td>
                  <td>
                    {status ? (
                      <div className="health">
                        <Badge tone={stateTone[status.state] ?? "neutral"}>
                          {stateLabel[status.state] ? t(stateLabel[status.state]) : status.state}
                        </Badge>
                        {status.cooling.length > 0 && (
                          <ul className="cooling" aria-label={t("health.cooling")}>
                            {status.cooling.map((row) => (
                              <li key={row.model}>
                                {t("health.coolingUntil", { model: row.model, until: fmt.dateTime(row.until) })}
                              </li>
                            ))}
                          </ul>
                        )}
                        {status.last_error && <small className="muted error-text">{status.last_error}</small>}
                      </div>
                    ) : (
                      <span className="muted">{health.loading ? t("common.loading") : "—"}</span>
                    )}
                  </td>
                  <td className="row-actions">
                    {status && status.state !== "healthy" && (
                      <ConfirmButton
                        label={t("health.reset")}
                        title={t("health.resetTitle")}
                        message={t("health.resetBody", { name: credential.label ?? `#${credential.id}` })}
                        confirmLabel={t("health.reset")}
                        onConfirm={async () => {
                          await api.post("/admin/credentials/{id}/reset", { path: { id: credential.id } });
                          health.reload();
                        }}
                      />
                    )}
                    <CredentialTest id={credential.id} name={credential.label ?? `#${credential.id}`} />
                    <button
                      type="button"
                      className="small"
                      onClick={() =>
                        void run(() =>
                          api.patch("/admin/credentials/{id}", { path: { id: credential.id }, body: { enabled: !credential.enabled } }),
                        )
                      }
                    >
                      {credential.enabled ? t("common.disable") : t("common.enable")}
                    </button>
                    <DeleteButton
                      title={t("credentials.deleteTitle")}
                      message={t("credentials.deleteBody", { name: credential.label ?? `#${credential.id}` })}
                      onConfirm={async () => {
                        await api.delete("/admin/credentials/{id}", { path: { id: credential.id } });
                        page.reload();
                        health.reload();
                      }}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Pager page={page} />
      <FormDialog
        title={t("credentials.add")}
        open={adding}
        onClose={() => setAdding(false)}
        submit={submit}
        fields={FIELDS}
        submitLabel={t("credentials.create")}
      >
        <Field label={t("credentials.label")} error={submit.fieldError("label")}>
          {(props) => <input {...props} name="label" maxLength={64} autoComplete="off" autoFocus />}
        </Field>
        <Field label={t("credentials.secret")} error={submit.fieldError("secret")} hint={t("credentials.secretHint")}>
          {(props) => <textarea {...props} name="secret" rows={3} className="mono" required spellCheck={false} autoComplete="off" />}
        </Field>
        <Checkbox label={t("common.enabled")} name="enabled" defaultChecked error={submit.fieldError("enabled")} />
      </FormDialog>
    </section>
  );
}
