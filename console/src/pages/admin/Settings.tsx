// Instance settings that change live: what is recorded and logged, masking of logged bodies and
// the outbound proxy; below them, the configuration export and import.
import { useState } from "react";
import { api, type Schemas } from "../../api/client";
import { ErrorNotice, Loading } from "../../components/feedback";
import { Checkbox, Field, FormActions, SubmitButton, checked, text, useSubmit } from "../../components/forms";
import { PageHeader } from "../../components/PageHeader";
import { useI18n, type MessageKey } from "../../i18n";
import { useApi } from "../../lib/hooks";
import { ConfigTransfer } from "./ConfigTransfer";

type SettingsView = Schemas["Settings"];
const TOGGLES = [
  ["enable_usage", "settings.enableUsage"],
  ["enable_downstream_log", "settings.downstreamLog"],
  ["enable_downstream_log_body", "settings.downstreamLogBody"],
  ["enable_upstream_log", "settings.upstreamLog"],
  ["enable_upstream_log_body", "settings.upstreamLogBody"],
  ["mask_sensitive_info", "settings.mask"],
] as const satisfies readonly (readonly [keyof SettingsView, MessageKey])[];
const FIELDS = [...TOGGLES.map(([name]) => name), "mask_body_fields", "proxy"];

/** One field name a line (commas also separate); blanks dropped. */
export function fieldList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function SettingsForm({ settings, onSaved, saved }: { settings: SettingsView; onSaved(next: SettingsView | null): void; saved: boolean }) {
  const { t } = useI18n();
  const submit = useSubmit(async (form) => {
    onSaved(null);
    const body = Object.fromEntries(TOGGLES.map(([name]) => [name, checked(form, name)])) as Record<(typeof TOGGLES)[number][0], boolean>;
    const proxy = text(form, "proxy") ?? null;
    const next = await api.patch("/admin/settings", {
      body: {
        ...body,
        mask_body_fields: fieldList(String(form.get("mask_body_fields") ?? "")),
        // A masked password reads back as ***: leave the proxy alone unless it was changed.
        ...(proxy === (settings.proxy ?? null) ? {} : { proxy }),
      },
    });
    onSaved(next);
  });
  return (
    <form className="card" onSubmit={submit.onSubmit}>
      <fieldset>
        <legend>{t("settings.recording")}</legend>
        {TOGGLES.map(([name, label]) => (
          <Checkbox key={name} label={t(label)} name={name} defaultChecked={settings[name]} error={submit.fieldError(name)} />
        ))}
      </fieldset>
      <Field label={t("settings.maskFields")} error={submit.fieldError("mask_body_fields")} hint={t("settings.maskFieldsHint")}>
        {(props) => <textarea {...props} name="mask_body_fields" rows={4} defaultValue={settings.mask_body_fields.join("\n")} spellCheck={false} />}
      </Field>
      <Field label={t("settings.proxy")} error={submit.fieldError("proxy")} hint={t("settings.proxyHint")}>
        {(props) => <input {...props} name="proxy" defaultValue={settings.proxy ?? ""} placeholder="http://proxy:3128" autoComplete="off" />}
      </Field>
      <FormActions error={submit.formError(FIELDS)}>
        {saved && (
          <span className="muted" role="status">
            {t("common.saved")}
          </span>
        )}
        <SubmitButton busy={submit.busy}>{t("common.save")}</SubmitButton>
      </FormActions>
    </form>
  );
}

export function Settings() {
  const { t } = useI18n();
  const loaded = useApi((signal) => api.get("/admin/settings", { signal }), "settings");
  const [current, setCurrent] = useState<SettingsView | null>(null);
  const [saved, setSaved] = useState(false);
  const settings = current ?? loaded.data;
  return (
    <>
      <PageHeader title={t("settings.title")} />
      {loaded.error && <ErrorNotice error={loaded.error} />}
      {!settings && !loaded.error && <Loading />}
      {settings && <SettingsForm
          key={JSON.stringify(settings)}
          settings={settings}
          saved={saved}
          onSaved={(next) => {
            // The form starts again from what the gateway answered (so it shows what applies).
            if (next) setCurrent(next);
            setSaved(next !== null);
          }}
        />}
      <ConfigTransfer />
    </>
  );
}
