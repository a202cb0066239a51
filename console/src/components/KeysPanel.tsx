// API keys of one user: the list (masked), a new key shown in full once with a copy button,
// enable/disable and delete. Serves both an admin managing a user (`/admin/users/{id}/keys`,
// `/admin/keys/{id}`) and a user managing their own (`/user/keys`).
import { useState } from "react";
import { api, toApiError, type ApiError, type Page, type Schemas } from "../api/client";
import { useI18n } from "../i18n";
import { usePaged } from "../lib/hooks";
import { EnabledBadge } from "./Badge";
import { DeleteButton } from "./ConfirmButton";
import { CopyButton } from "./CopyButton";
import { Dialog } from "./Dialog";
import { ErrorNotice, TableState } from "./feedback";
import { Field, FormActions, SubmitButton, localTimeToRfc3339, text, useSubmit } from "./forms";
import { Pager } from "./Pager";

type Key = Schemas["KeyView"];

/** Whose keys: a user's, managed by an admin, or the caller's own. */
export type KeyScope = { kind: "admin"; userId: string } | { kind: "own" };

function keyApi(scope: KeyScope) {
  return {
    list: (cursor: string | undefined, signal: AbortSignal): Promise<Page<Key>> =>
      scope.kind === "admin"
        ? api.get("/admin/users/{id}/keys", { path: { id: scope.userId }, query: { cursor }, signal })
        : api.get("/user/keys", { query: { cursor }, signal }),
    create: (body: Schemas["CreateKey"]): Promise<Key> =>
      scope.kind === "admin"
        ? api.post("/admin/users/{id}/keys", { path: { id: scope.userId }, body })
        : api.post("/user/keys", { body }),
    patch: (id: string, body: Schemas["PatchKey"]): Promise<Key> =>
      scope.kind === "admin"
        ? api.patch("/admin/keys/{id}", { path: { id }, body })
        : api.patch("/user/keys/{id}", { path: { id }, body }),
    remove: (id: string): Promise<void> =>
      scope.kind === "admin"
        ? api.delete("/admin/keys/{id}", { path: { id } })
        : api.delete("/user/keys/{id}", { path: { id } }),
  };
}

const FIELDS = ["label", "expires_at", "enabled"] as const;

export function KeysPanel({ scope }: { scope: KeyScope }) {
  const { t, fmt } = useI18n();
  const keys = keyApi(scope);
  const scopeKey = scope.kind === "admin" ? `admin:${scope.userId}` : "own";
  const page = usePaged((cursor, signal) => keys.list(cursor, signal), scopeKey);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Key | null>(null);
  const [rowError, setRowError] = useState<ApiError | null>(null);

  const submit = useSubmit(async (form) => {
    const key = await keys.create({
      label: text(form, "label") ?? null,
      expires_at: localTimeToRfc3339(text(form, "expires_at")) ?? null,
    });
    setCreated(key);
    page.reload();
  });

  const closeCreate = () => {
    setCreating(false);
    setCreated(null);
    submit.reset();
  };

  const toggle = async (key: Key) => {
    setRowError(null);
    try {
      await keys.patch(key.id, { enabled: !key.enabled });
      page.reload();
    } catch (error) {
      setRowError(toApiError(error));
    }
  };

  const expired = (key: Key) => key.expires_at !== null && key.expires_at !== undefined && new Date(key.expires_at) < new Date();

  return (
    <section aria-labelledby="keys-heading">
      <div className="section-header">
        <h2 id="keys-heading">{t("keys.title")}</h2>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          {t("keys.new")}
        </button>
      </div>
      {rowError && <ErrorNotice error={rowError} />}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("keys.label")}</th>
              <th scope="col">{t("keys.key")}</th>
              <th scope="col">{t("common.status")}</th>
              <th scope="col">{t("keys.expires")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={5} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((key) => (
              <tr key={key.id}>
                <td>{key.label ?? <span className="muted">—</span>}</td>
                <td>
                  <code>{key.api_key}</code>
                </td>
                <td>
                  <EnabledBadge enabled={key.enabled} />
                  {expired(key) && <span className="badge badge-bad">{t("keys.expired")}</span>}
                </td>
                <td>{key.expires_at ? fmt.dateTime(key.expires_at) : t("keys.never")}</td>
                <td className="row-actions">
                  <button type="button" className="small" onClick={() => void toggle(key)}>
                    {key.enabled ? t("common.disable") : t("common.enable")}
                  </button>
                  <DeleteButton
                    title={t("keys.deleteTitle")}
                    message={t("keys.deleteBody", { key: key.label ?? key.api_key })}
                    onConfirm={async () => {
                      await keys.remove(key.id);
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
      <Dialog title={created ? t("keys.createdTitle") : t("keys.new")} open={creating} onClose={closeCreate}>
        {created ? (
          <div className="created-key">
            <p className="notice notice-warn">{t("keys.shownOnce")}</p>
            <p className="key-line">
              <code data-testid="created-key">{created.api_key}</code>
            </p>
            <p>
              <CopyButton value={created.api_key} />
            </p>
            <div className="form-actions">
              <button type="button" className="primary" onClick={closeCreate}>
                {t("common.done")}
              </button>
            </div>
          </div>
        ) : (
          <form onSubmit={submit.onSubmit}>
            <Field label={t("keys.label")} error={submit.fieldError("label")} hint={t("keys.labelHint")}>
              {(props) => <input {...props} name="label" maxLength={64} autoFocus />}
            </Field>
            <Field label={t("keys.expires")} error={submit.fieldError("expires_at")} hint={t("keys.expiresHint")}>
              {(props) => <input {...props} name="expires_at" type="datetime-local" />}
            </Field>
            <FormActions error={submit.formError(FIELDS)}>
              <button type="button" onClick={closeCreate}>
                {t("common.cancel")}
              </button>
              <SubmitButton busy={submit.busy}>{t("keys.create")}</SubmitButton>
            </FormActions>
          </form>
        )}
      </Dialog>
    </section>
  );
}
