// Configuration export (the TOML seed format, secrets included, downloaded as a file) and import
// (a TOML file's text; shows how many of each it held, or the gateway's error).
import { useId, useState } from "react";
import { exportConfig, importConfig, toApiError, type ApiError, type Schemas } from "../../api/client";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/feedback";
import { useI18n } from "../../i18n";
import { download } from "../../lib/download";

type Counts = Schemas["ImportCounts"];
const COUNTED = ["providers", "models", "aliases", "routes", "users", "permissions", "rate_limits", "quotas"] as const satisfies readonly (keyof Counts)[];

export function ConfigTransfer() {
  const { t, fmt } = useI18n();
  const fileId = useId();
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<ApiError | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<Counts | null>(null);

  const doExport = async () => {
    setExporting(true);
    setExportError(null);
    try {
      const toml = await exportConfig();
      download(`gproxy-config-${new Date().toISOString().slice(0, 10)}.toml`, toml, "application/toml");
    } catch (error) {
      setExportError(toApiError(error));
    } finally {
      setExporting(false);
    }
  };

  return (
    <section className="card" aria-labelledby="config-heading">
      <h2 id="config-heading">{t("config.title")}</h2>
      <p className="muted">{t("config.exportHint")}</p>
      {exportError && <ErrorNotice error={exportError} />}
      <div className="form-actions">
        <button type="button" onClick={() => void doExport()} disabled={exporting} aria-busy={exporting || undefined}>
          {exporting ? t("common.working") : t("config.export")}
        </button>
      </div>
      <div className="field">
        <label htmlFor={fileId}>{t("config.importFile")}</label>
        <input
          id={fileId}
          type="file"
          accept=".toml,application/toml,text/plain"
          onChange={(event) => {
            setResult(null);
            setFile(event.target.files?.[0] ?? null);
          }}
        />
        <small className="hint">{t("config.importHint")}</small>
      </div>
      <div className="form-actions">
        {file && (
          <ConfirmButton
            className="primary"
            label={t("config.import")}
            title={t("config.importTitle")}
            message={t("config.importBody", { name: file.name })}
            confirmLabel={t("config.import")}
            onConfirm={async () => {
              const answer = await importConfig(await file.text());
              setResult(answer.imported);
            }}
          />
        )}
      </div>
      {result && (
        <div role="status">
          <p className="notice">{t("config.imported")}</p>
          <dl className="facts">
            {COUNTED.map((name) => (
              <div key={name}>
                <dt>{t(`config.count.${name}`)}</dt>
                <dd>{fmt.number(result[name])}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
    </section>
  );
}
