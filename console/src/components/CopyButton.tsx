// Copies a value to the clipboard and says so (for keys shown once).
import { useState } from "react";
import { useI18n } from "../i18n";

export function CopyButton({ value }: { value: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      setState("failed");
    }
  };
  return (
    <>
      <button type="button" className="small" onClick={copy}>
        {t("common.copy")}
      </button>
      <span className="muted" role="status" aria-live="polite">
        {state === "copied" ? t("common.copied") : state === "failed" ? t("common.copyFailed") : ""}
      </span>
    </>
  );
}
