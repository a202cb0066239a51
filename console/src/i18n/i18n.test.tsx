import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { en } from "./en";
import { I18nProvider, STORAGE_KEY, formatters, initialLocale, interpolate, useI18n } from "./index";
import { zh } from "./zh";

function Probe() {
  const { t } = useI18n();
  return (
    <>
      <LanguageSwitch />
      <h1>{t("nav.users")}</h1>
      <p>{t("common.page", { page: 3 })}</p>
    </>
  );
}

describe("i18n", () => {
  it("switches between English and Chinese and remembers the choice", async () => {
    localStorage.setItem(STORAGE_KEY, "en");
    const user = userEvent.setup();
    const { unmount } = render(
      <I18nProvider>
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByRole("heading").textContent).toBe("Users & keys");
    expect(screen.getByText("Page 3")).toBeTruthy();
    expect(screen.getByRole("button", { name: "EN" }).getAttribute("aria-pressed")).toBe("true");

    await user.click(screen.getByRole("button", { name: "中文" }));
    expect(screen.getByRole("heading").textContent).toBe("用户与密钥");
    expect(screen.getByText("第 3 页")).toBeTruthy();
    expect(screen.getByRole("button", { name: "中文" }).getAttribute("aria-pressed")).toBe("true");
    expect(localStorage.getItem(STORAGE_KEY)).toBe("zh");
    expect(document.documentElement.lang).toBe("zh-CN");

    // A new visit starts in the remembered language.
    unmount();
    render(
      <I18nProvider>
        <Probe />
      </I18nProvider>,
    );
    expect(screen.getByRole("heading").textContent).toBe("用户与密钥");
  });

  it("starts from the browser's language when nothing is remembered", () => {
    localStorage.removeItem(STORAGE_KEY);
    const languages = Object.getOwnPropertyDescriptor(Navigator.prototype, "languages");
    Object.defineProperty(navigator, "languages", { value: ["zh-TW", "en"], configurable: true });
    try {
      expect(initialLocale()).toBe("zh");
    } finally {
      delete (navigator as unknown as Record<string, unknown>).languages;
      if (languages) Object.defineProperty(Navigator.prototype, "languages", languages);
    }
  });

  it("has every English message in Chinese, none empty", () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(zh)) expect(text, key).not.toBe("");
  });

  it("formats exact money, numbers and durations per locale", () => {
    const us = formatters("en");
    expect(us.money("0.000000123")).toBe("$0.000000123");
    expect(us.money("1234.5")).toBe("$1,234.50");
    expect(us.money(null)).toBe("—");
    expect(us.number(1234567)).toBe("1,234,567");
    expect(us.duration(850)).toBe("850 ms");
    expect(us.duration(1234)).toBe("1.23 s");
    expect(formatters("zh").money("1234.5")).toBe(new Intl.NumberFormat("zh-CN", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 9 }).format(1234.5));
    expect(us.dateTime("not a date")).toBe("not a date");
    expect(interpolate("{a} and {b}", { a: 1 })).toBe("1 and {b}");
  });
});
