// The fields of a provider, for creating one and editing it.
import { useState } from "react";
import type { Schemas } from "../../api/client";
import { Checkbox, Field, type Submit } from "../../components/forms";
import { useI18n } from "../../i18n";
import { CHANNELS, DEFAULT_BASE_URL } from "../../lib/channels";

export const PROVIDER_FIELDS = ["name", "channel", "settings", "enabled"] as const;

export function ProviderFields({ submit, provider }: { submit: Submit; provider?: Schemas["Provider"] }) {
  const { t } = useI18n();
  const [channel, setChannel] = useState(provider?.channel ?? "openai");
  const base = DEFAULT_BASE_URL[channel];
  return (
    <>
      <Field label={t("providers.name")} error={submit.fieldError("name")} hint={t("providers.nameHint")}>
        {(props) => (
          <input {...props} name="name" defaultValue={provider?.name} required maxLength={64} pattern="[A-Za-z0-9._\-]+" autoComplete="off" />
        )}
      </Field>
      <Field label={t("providers.channel")} error={submit.fieldError("channel")}>
        {(props) => (
          <select {...props} name="channel" value={channel} onChange={(event) => setChannel(event.target.value)}>
            {CHANNELS.map((kind) => (
              <option key={kind} value={kind}>
                {kind}
              </option>
            ))}
            {!CHANNELS.includes(channel as (typeof CHANNELS)[number]) && <option value={channel}>{channel}</option>}
          </select>
        )}
      </Field>
      <Field
        label={t("providers.settings")}
        error={submit.fieldError("settings")}
        hint={base ? t("providers.settingsHint", { base }) : t("providers.settingsHintCustom")}
      >
        {(props) => (
          <textarea
            {...props}
            name="settings"
            rows={6}
            className="mono"
            spellCheck={false}
            defaultValue={provider ? JSON.stringify(provider.settings ?? {}, null, 2) : ""}
            placeholder={channel === "custom" ? '{ "base_url": "https://…/v1" }' : "{}"}
          />
        )}
      </Field>
      <Checkbox label={t("common.enabled")} name="enabled" defaultChecked={provider?.enabled ?? true} error={submit.fieldError("enabled")} />
    </>
  );
}
