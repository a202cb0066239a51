// The console end to end, in headless Chromium against a real gateway and the mock upstream
// (started by scripts/console-e2e, which passes their addresses in the environment). The steps
// run in order and share state; after a failed step the rest are skipped.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this suite with scripts/console-e2e`);
  return value;
};
const GATEWAY = env("GPROXY_URL");
const MOCK = env("GPROXY_MOCK_URL");
const MOCK_KEY = env("GPROXY_MOCK_KEY");
const ADMIN = env("GPROXY_ADMIN_USER");
const ADMIN_PASSWORD = env("GPROXY_ADMIN_PASSWORD");
const RESULTS = env("RESULTS_DIR");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SHOTS = join(RESULTS, "screenshots");
const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const TIMEOUT = 15_000;

const PROVIDER = "mock-openai";
const MODEL = "gpt-e2e";
const USER = "carol";
const USER_PASSWORD = "carol-e2e-password";

/** What the steps learn and pass on. */
const state = { providerId: "", userId: "", apiKey: "", requestId: "", timings: {} };
let browser;
let context;
let page;
let broken = "";

/** A step: skipped once an earlier one failed; on failure, a screenshot of where it stood. */
function step(name, body) {
  test(name, async (t) => {
    if (broken) {
      t.skip(`an earlier step failed: ${broken}`);
      return;
    }
    try {
      await body();
    } catch (error) {
      broken = name;
      const file = join(RESULTS, `failed-${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`);
      await page?.screenshot({ path: file, fullPage: true }).catch(() => {});
      if (error instanceof Error) error.message = `${name}: ${error.message}\n(page ${page?.url()}, screenshot ${file})`;
      throw error;
    }
  });
}

/** Opens a console path and waits until its API calls have settled. */
async function open(path) {
  await page.goto(GATEWAY + path, { waitUntil: "domcontentloaded" });
  await page.waitForLoadState("networkidle");
  await settled();
}

/** No "Loading…" left on the page. */
async function settled() {
  await page
    .locator("text=/^(Loading…|加载中…)$/")
    .first()
    .waitFor({ state: "detached", timeout: TIMEOUT })
    .catch(() => {});
}

const dialog = () => page.locator("dialog[open]");

async function expectVisible(locator, what) {
  try {
    await locator.first().waitFor({ state: "visible", timeout: TIMEOUT });
  } catch {
    assert.fail(`expected to see ${what}`);
  }
}

async function chat(key, content) {
  const response = await fetch(`${GATEWAY}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: `${PROVIDER}/${MODEL}`, messages: [{ role: "user", content }] }),
  });
  return { response, body: await response.text() };
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], headless: true });
  context = await browser.newContext({ viewport: DESKTOP, locale: "en-US", timezoneId: "UTC" });
  context.setDefaultTimeout(TIMEOUT);
  page = await context.newPage();
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
});

after(async () => {
  await browser?.close();
});

step("the console is served at / and shows the login page", async () => {
  const response = await page.goto(GATEWAY + "/", { waitUntil: "domcontentloaded" });
  assert.equal(response?.status(), 200, `GET / answered ${response?.status()}`);
  await expectVisible(page.getByRole("button", { name: "Log in" }), "the login button");
});

step("a wrong password is refused with a message", async () => {
  await page.getByLabel("User name").fill(ADMIN);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expectVisible(page.getByText("Wrong user name or password."), "the wrong-password notice");
});

step("the admin logs in", async () => {
  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expectVisible(page.getByRole("navigation").getByRole("link", { name: "Providers" }), "the admin navigation after logging in");
  await page.waitForURL(/\/overview/);
});

step("add an openai provider pointing at the mock, and a credential", async () => {
  await open("/providers");
  await page.getByRole("button", { name: "New provider" }).click();
  const d = dialog();
  await d.getByLabel("Name", { exact: true }).fill(PROVIDER);
  await d.getByLabel("Channel").selectOption("openai");
  await d.getByLabel("Settings (JSON)").fill(JSON.stringify({ base_url: `${MOCK}/v1` }));
  await d.getByRole("button", { name: "Create provider" }).click();
  await page.waitForURL(/\/providers\/[^/]+$/, { timeout: TIMEOUT });
  state.providerId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
  await settled();

  await page.getByRole("button", { name: "Add credential" }).click().catch(async () => {
    // The label of the add button comes from the catalog ("credentials.add").
    await page.locator("#credentials-heading").locator("xpath=../..").getByRole("button").last().click();
  });
  const c = dialog();
  await c.locator('input[name="label"]').fill("mock key");
  await c.locator('textarea[name="secret"]').fill(MOCK_KEY);
  await c.locator('button[type="submit"]').click();
  await expectVisible(page.getByRole("cell", { name: "mock key" }), "the new credential in the credentials table");
  await expectVisible(page.getByText("Healthy"), "the credential's health (Healthy)");
});

step("add a model with prices", async () => {
  await open("/models");
  await page.getByRole("button", { name: "New model" }).click();
  const d = dialog();
  await d.locator('select[name="provider"]').selectOption({ label: `${PROVIDER} (openai)` });
  await d.locator('input[name="model_id"]').fill(MODEL);
  await d.locator('input[name="price_input_per_mtok"]').fill("2.50");
  await d.locator('input[name="price_output_per_mtok"]').fill("10");
  await d.getByRole("button", { name: "Create model" }).click();
  await d.waitFor({ state: "hidden" });
  await settled();
  await expectVisible(page.getByRole("cell", { name: MODEL }), `the model ${MODEL} in the models table`);
});

step("test the credential: one request upstream, the answer shown", async () => {
  await open(`/providers/${encodeURIComponent(state.providerId)}`);
  const row = page.getByRole("row").filter({ has: page.getByRole("cell", { name: "mock key" }) });
  await row.getByRole("button", { name: "Test" }).click();
  const d = dialog();
  await d.getByRole("button", { name: "Send test request" }).click();
  const result = d.getByRole("region", { name: "Test result" });
  await expectVisible(result.getByText("Works"), "the credential test's verdict (Works)");
  await expectVisible(result.getByText(`${MODEL} · HTTP 200`, { exact: false }), "the model asked and the upstream's status");
  await page.screenshot({ path: join(SHOTS, "en-credential-test.png"), fullPage: true });
  await d.getByRole("button", { name: "Close" }).first().click();
  await d.waitFor({ state: "hidden" });
});

step("create a user and a key (shown once)", async () => {
  await open("/users");
  await page.getByRole("button", { name: "New user" }).click();
  const d = dialog();
  await d.locator('input[name="name"]').fill(USER);
  await d.locator('input[name="password"]').fill(USER_PASSWORD);
  await d.getByRole("button", { name: "Create user" }).click();
  await page.waitForURL(/\/users\/[^/]+$/, { timeout: TIMEOUT });
  state.userId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
  await settled();

  await page.getByRole("button", { name: "New key" }).click();
  const k = dialog();
  await k.locator('input[name="label"]').fill("e2e key");
  await k.getByRole("button", { name: "Create key" }).click();
  const shown = k.getByTestId("created-key");
  await expectVisible(shown, "the created key");
  state.apiKey = (await shown.textContent())?.trim() ?? "";
  assert.ok(state.apiKey.length >= 16, `the created key looks wrong: ${JSON.stringify(state.apiKey)}`);
  await expectVisible(k.getByText("It is shown only this once"), "the shown-once warning");
  await k.getByRole("button", { name: "Done" }).click();
  await expectVisible(page.getByRole("cell", { name: "e2e key" }), "the key in the user's key list");
  const listed = await page.locator("table").innerText();
  assert.ok(!listed.includes(state.apiKey), "the key list shows the whole key; it should be masked");
});

step("grant the user every model", async () => {
  await open("/permissions");
  await page.getByRole("button", { name: "New permission" }).click();
  const d = dialog();
  await d.locator('select[name="user_id"]').selectOption({ label: USER });
  await d.locator('input[name="model_pattern"]').fill("*");
  await d.getByRole("button", { name: "Create" }).click();
  await d.waitFor({ state: "hidden" });
  await settled();
  await expectVisible(page.getByRole("row").filter({ hasText: USER }), `a permission row for ${USER}`);
});

step("set the user's budget", async () => {
  await open("/quotas");
  await page.getByRole("button", { name: "New quota" }).click();
  const d = dialog();
  await d.locator('select[name="user_id"]').selectOption({ label: USER });
  await d.locator('input[name="limit_usd"]').fill("25");
  await d.locator('select[name="period"]').selectOption("monthly");
  await d.getByRole("button", { name: "Create" }).click();
  await d.waitFor({ state: "hidden" });
  await settled();
  const row = page.getByRole("row").filter({ hasText: USER });
  await expectVisible(row, `a quota row for ${USER}`);
  assert.match(await row.first().innerText(), /25/, "the quota row does not show the 25 USD limit");
});

step("a chat completion with the user's key goes through the proxy", async () => {
  const { response, body } = await chat(state.apiKey, "hello from the console e2e");
  assert.equal(response.status, 200, `POST /v1/chat/completions answered ${response.status}: ${body}`);
  const json = JSON.parse(body);
  assert.ok(json.choices?.[0]?.message, `no choice in the answer: ${body}`);
  state.requestId = response.headers.get("x-gproxy-request-id") ?? "";
  assert.ok(state.requestId, `no x-gproxy-request-id header; headers: ${JSON.stringify([...response.headers])}`);
});

step("the usage explorer shows the request (filtered by user)", async () => {
  // The usage record is written by the gateway's record queue: allow it a moment.
  const started = Date.now();
  for (;;) {
    await open(`/usage?user_id=${encodeURIComponent(state.userId)}`);
    if (await page.getByText(state.requestId).count()) break;
    if (Date.now() - started > TIMEOUT) assert.fail(`request ${state.requestId} is not in the usage records of ${USER}`);
    await page.waitForTimeout(500);
  }
  const row = page.getByRole("row").filter({ hasText: state.requestId });
  const text = await row.first().innerText();
  assert.match(text, new RegExp(MODEL), `the usage row does not name the model: ${text}`);
  assert.match(text, new RegExp(PROVIDER), `the usage row does not name the provider: ${text}`);
  const totals = await page.getByRole("region", { name: "Totals" }).innerText().catch(() => "");
  assert.ok(totals === "" || /Requests\s*1\b/.test(totals), `the totals should count 1 request: ${totals}`);
});

step("the request log finds the request by its id, downstream and upstream", async () => {
  await open("/logs");
  await page.locator('input[name="request_id"]').fill(state.requestId);
  await page.getByRole("button", { name: "Open" }).click();
  await page.waitForURL(new RegExp(`/logs/${state.requestId}$`));
  await page.waitForLoadState("networkidle");
  await settled();
  await expectVisible(page.getByRole("heading", { name: "Downstream (client ↔ gateway)" }), "the downstream side");
  await expectVisible(page.getByRole("heading", { name: "Upstream (gateway ↔ provider)" }), "the upstream side");
  await expectVisible(page.getByText(state.requestId), "the request id on the detail page");
  const upstream = await page.locator("section.side").nth(1).innerText();
  assert.doesNotMatch(upstream, /The request was not sent upstream/, "the log says the request never went upstream");
  assert.match(upstream, /chat\/completions/, `the upstream attempt should name the mock's chat/completions: ${upstream.slice(0, 400)}`);
});

step("a rate-limited credential shows its cooldown and is reset", async () => {
  const push = await fetch(`${MOCK}/__mock/replies`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify([{ error: { status: 429, message: "slow down" } }]),
  });
  assert.equal(push.status, 204, `scripting the mock failed: ${push.status}`);
  const { response, body } = await chat(state.apiKey, "this one is rate limited");
  assert.equal(response.status, 429, `the rate-limited call answered ${response.status}: ${body}`);

  await open(`/providers/${encodeURIComponent(state.providerId)}`);
  const row = page.getByRole("row").filter({ hasText: "mock key" });
  await expectVisible(row.getByText(/Partial|Dead/), "the credential's health as Partial (or Dead) after the 429");
  await row.getByRole("button", { name: "Reset" }).click();
  await dialog().getByRole("button", { name: "Reset" }).click();
  await expectVisible(row.getByText("Healthy"), "the credential Healthy again after the reset");
  const { response: again, body: againBody } = await chat(state.apiKey, "after the reset");
  assert.equal(again.status, 200, `a call after the reset answered ${again.status}: ${againBody}`);
});

step("switching to 中文 shows Chinese labels, and the choice is remembered", async () => {
  await open("/overview");
  await page.getByRole("button", { name: "中文" }).first().click();
  const nav = page.getByRole("navigation");
  for (const label of ["概览", "用户与密钥", "供应商", "模型与价格", "用量", "请求日志", "额度"]) {
    await expectVisible(nav.getByRole("link", { name: label, exact: true }), `the Chinese nav label ${label}`);
  }
  await expectVisible(page.getByRole("button", { name: "退出登录" }), "the Chinese logout button");
  await page.reload();
  await expectVisible(page.getByRole("navigation").getByRole("link", { name: "供应商" }), "Chinese labels after a reload");
  await page.getByRole("button", { name: "EN" }).first().click();
  await expectVisible(page.getByRole("navigation").getByRole("link", { name: "Providers" }), "English labels again");
});

step("the user logs in and sees their own key, usage and quota only", async () => {
  await page.getByRole("button", { name: "Log out" }).click();
  await expectVisible(page.getByRole("button", { name: "Log in" }), "the login page after logging out");
  await open("/"); // the start page, not the admin page the session ended on
  await page.getByLabel("User name").fill(USER);
  await page.getByLabel("Password").fill(USER_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/me\/keys/);
  await settled();
  await expectVisible(page.getByRole("cell", { name: "e2e key" }), "the user's own key");
  assert.equal(await page.getByRole("navigation").getByRole("link", { name: "Providers" }).count(), 0, "a user sees the admin pages");
  await open("/me/quota");
  await expectVisible(page.getByText(/25/), "the user's 25 USD budget");
  await page.getByRole("button", { name: "Log out" }).click();
  await expectVisible(page.getByRole("button", { name: "Log in" }), "the login page after the user logs out");
});

/** Every page reachable from the admin's navigation, plus the detail pages. */
const PAGES = () => [
  ["overview", "/overview"],
  ["users", "/users"],
  ["user-detail", `/users/${encodeURIComponent(state.userId)}`],
  ["providers", "/providers"],
  ["provider-detail", `/providers/${encodeURIComponent(state.providerId)}`],
  ["models", "/models"],
  ["aliases", "/aliases"],
  ["routes", "/routes"],
  ["permissions", "/permissions"],
  ["rate-limits", "/rate-limits"],
  ["quotas", "/quotas"],
  ["usage", "/usage"],
  ["logs", "/logs"],
  ["log-detail", `/logs/${encodeURIComponent(state.requestId)}`],
  ["audit", "/audit"],
  ["settings", "/settings"],
  ["my-keys", "/me/keys"],
  ["my-usage", "/me/usage"],
  ["my-quota", "/me/quota"],
];

async function setLocale(locale) {
  await page.evaluate((value) => localStorage.setItem("gproxy.console.locale", value), locale);
}

step("screenshots of every page in English and Chinese", async () => {
  // The login page, both languages, desktop and phone.
  for (const locale of ["en", "zh"]) {
    await open("/");
    await setLocale(locale);
    for (const [size, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
      await page.setViewportSize(viewport);
      await open("/");
      await expectVisible(page.locator('input[name="password"]'), "the login form");
      await page.screenshot({ path: join(SHOTS, `${locale}-login-${size}.png`), fullPage: true });
    }
  }
  await page.setViewportSize(DESKTOP);
  await setLocale("en");
  await open("/");
  await page.getByLabel("User name").fill(ADMIN);
  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/overview/);
  const missing = [];
  for (const locale of ["en", "zh"]) {
    await setLocale(locale);
    for (const [name, path] of PAGES()) {
      const started = performance.now();
      await open(path);
      state.timings[`${locale} ${name}`] = Math.round(performance.now() - started);
      const lang = await page.evaluate(() => document.documentElement.lang);
      if (!lang.startsWith(locale)) missing.push(`${locale} ${name}: <html lang=${lang}>`);
      if (await page.getByText(/Page not found|页面不存在/).count()) missing.push(`${locale} ${name}: not found`);
      await page.screenshot({ path: join(SHOTS, `${locale}-${name}.png`), fullPage: true });
    }
  }
  await setLocale("en");
  assert.deepEqual(missing, [], `pages that did not render as expected:\n${missing.join("\n")}`);
  const slowest = Object.entries(state.timings).sort((a, b) => b[1] - a[1]).slice(0, 3);
  console.log(`page loads (to network idle), slowest: ${slowest.map(([k, v]) => `${k} ${v} ms`).join(", ")}`);
});

step("every page fits a phone's width (no sideways scrolling of the page)", async () => {
  await page.setViewportSize(PHONE);
  const wide = [];
  for (const [name, path] of PAGES()) {
    await open(path);
    const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    if (scroll > inner + 1) wide.push(`${name}: ${scroll}px wide at ${inner}px`);
    if (["overview", "provider-detail", "usage", "logs", "log-detail", "my-quota"].includes(name)) {
      await page.screenshot({ path: join(SHOTS, `en-${name}-phone.png`), fullPage: true });
    }
  }
  await page.setViewportSize(DESKTOP);
  assert.deepEqual(wide, [], `pages wider than a phone:\n${wide.join("\n")}`);
});

step("log out", async () => {
  await open("/overview");
  await page.getByRole("button", { name: "Log out" }).click();
  await expectVisible(page.getByRole("button", { name: "Log in" }), "the login page after logging out");
  const me = await page.evaluate(async () => (await fetch("/user/me")).status);
  assert.equal(me, 401, `GET /user/me after logout answered ${me}`);
});
