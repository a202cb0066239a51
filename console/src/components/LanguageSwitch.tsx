// EN / 中文: a two-button group; the pressed one is the current language.
import { LOCALES, useI18n, type Locale } from "../i18n";

const names: Record<Locale, string> = { en: "EN", zh: "中文" };
const fullNames: Record<Locale, string> = { en: "English", zh: "中文（简体）" };

export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <div className="lang-switch" role="group" aria-label={t("common.language")}>
      {LOCALES.map((option) => (
        <button
          key={option}
          type="button"
          className="small"
          aria-pressed={locale === option}
          lang={option === "zh" ? "zh-CN" : "en"}
          title={fullNames[option]}
          onClick={() => setLocale(option)}
        >
          {names[option]}
        </button>
      ))}
    </div>
  );
}
