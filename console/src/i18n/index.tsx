// The console's languages: two message catalogs (English, Chinese), the choice remembered in
// localStorage, and Intl formatters for dates (the browser's time zone), numbers and money.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { en, type MessageKey } from "./en";
import { zh } from "./zh";

export type Locale = "en" | "zh";
export type { MessageKey };

export const LOCALES: readonly Locale[] = ["en", "zh"];
const catalogs: Record<Locale, Record<MessageKey, string>> = { en, zh };
/** The BCP 47 tag each locale formats with. */
const intlTag: Record<Locale, string> = { en: "en-US", zh: "zh-CN" };
export const STORAGE_KEY = "gproxy.console.locale";

/** The remembered choice, else the browser's preference, else English. */
export function initialLocale(): Locale {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === "en" || stored === "zh") return stored;
  } catch {
    // Storage can be unavailable (private modes); fall through to the browser's language.
  }
  const preferred = typeof navigator === "undefined" ? [] : (navigator.languages ?? [navigator.language]);
  return preferred.some((tag) => tag?.toLowerCase().startsWith("zh")) ? "zh" : "en";
}

/** `"Hello {name}"` + `{name: "Ann"}` → `"Hello Ann"`. */
export function interpolate(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

export interface Formatters {
  /** An RFC 3339 time in the browser's time zone; "—" for none. */
  dateTime(value: string | null | undefined): string;
  number(value: number | null | undefined): string;
  /** An exact decimal USD string, shown with as many decimals as it has (up to nano-USD). */
  money(value: string | null | undefined): string;
  /** Milliseconds as "850 ms" / "1.2 s". */
  duration(ms: number | null | undefined): string;
}

export function formatters(locale: Locale): Formatters {
  const tag = intlTag[locale];
  const date = new Intl.DateTimeFormat(tag, { dateStyle: "medium", timeStyle: "medium" });
  const number = new Intl.NumberFormat(tag);
  const money = new Intl.NumberFormat(tag, {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: 2,
    maximumFractionDigits: 9,
  });
  const seconds = new Intl.NumberFormat(tag, { maximumFractionDigits: 2 });
  return {
    dateTime(value) {
      if (!value) return "—";
      const parsed = new Date(value);
      return Number.isNaN(parsed.getTime()) ? value : date.format(parsed);
    },
    number(value) {
      return value === null || value === undefined ? "—" : number.format(value);
    },
    money(value) {
      if (value === null || value === undefined || value === "") return "—";
      // Intl formats a decimal string exactly (no trip through a binary float).
      return money.format(value as unknown as number);
    },
    duration(ms) {
      if (ms === null || ms === undefined) return "—";
      return ms < 1000 ? `${number.format(ms)} ms` : `${seconds.format(ms / 1000)} s`;
    },
  };
}

export interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: MessageKey, vars?: Record<string, string | number>): string;
  fmt: Formatters;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children, locale: fixed }: { children: ReactNode; locale?: Locale }) {
  const [locale, setLocaleState] = useState<Locale>(() => fixed ?? initialLocale());

  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Not remembered, but still switched for this visit.
    }
  }, []);

  useEffect(() => {
    document.documentElement.lang = intlTag[locale];
  }, [locale]);

  const value = useMemo<I18n>(() => {
    const catalog = catalogs[locale];
    return {
      locale,
      setLocale,
      t: (key, vars) => interpolate(catalog[key] ?? en[key] ?? key, vars),
      fmt: formatters(locale),
    };
  }, [locale, setLocale]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n outside I18nProvider");
  return value;
}
