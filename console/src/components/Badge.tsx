// Small coloured labels: enabled/disabled, credential health, HTTP status classes.
import type { ReactNode } from "react";
import { useI18n } from "../i18n";

export type Tone = "ok" | "warn" | "bad" | "neutral";

export function Badge({ tone, children }: { tone: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function EnabledBadge({ enabled }: { enabled: boolean }) {
  const { t } = useI18n();
  return <Badge tone={enabled ? "ok" : "neutral"}>{enabled ? t("common.enabled") : t("common.disabled")}</Badge>;
}

/** An HTTP status coloured by class; "—" when there was no response. */
export function StatusBadge({ status }: { status: number | null | undefined }) {
  if (status === null || status === undefined) return <Badge tone="bad">—</Badge>;
  const tone: Tone = status < 300 ? "ok" : status < 500 && status !== 429 ? "warn" : "bad";
  return <Badge tone={tone}>{status}</Badge>;
}
