// Page timings on a large data set (issue 11, point 5): the usage explorer and the request log,
// opened in headless Chromium against a gateway whose database holds the rows (1,000,000 usage
// rows and 100,000 request logs by default). Each time is from the start of navigation (a full
// page load: the console's assets, the session check, then the page's API calls) until the page
// shows its data: first record row, totals filled in, no "Loading…" left.
//
// Run by bench/console, which fills the data directory, starts the gateway and passes:
//   GPROXY_URL, GPROXY_ADMIN_USER, GPROXY_ADMIN_PASSWORD  the gateway and its admin
//   LOG_REQUEST_ID   a request id in the logs, for the detail page (default req_large0000000000)
//   USER_ID          the user of the filtered views (default 7)
//   RUNS             timed loads per page, after 1 warm-up (default 7)
//   CHROMIUM         the browser (default /usr/bin/chromium)
//   RESULTS_DIR      where the timings (pages.json) and a screenshot per page go (default .)
//
// playwright-core comes from console/e2e/node_modules (scripts/chromium installs it).
// Prints one line per page: min, median and max over RUNS loads.
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";

const require = createRequire(new URL("../../console/e2e/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const GATEWAY = process.env.GPROXY_URL;
const RUNS = Number(process.env.RUNS || 7);
const USER_ID = process.env.USER_ID || "7";
const LOG_REQUEST_ID = process.env.LOG_REQUEST_ID || "req_large0000000000";
const RESULTS_DIR = process.env.RESULTS_DIR || ".";
if (!GATEWAY || !process.env.GPROXY_ADMIN_PASSWORD) throw new Error("set GPROXY_URL, GPROXY_ADMIN_USER and GPROXY_ADMIN_PASSWORD");

// Ready when every selector matches, the page shows no "Loading…" and no error notice; an error
// notice ends the wait at once (and fails the run) instead of running into the timeout.
function readyWhen(selectors, { totals = false } = {}) {
  return async (page) => {
    const state = await page.waitForFunction(
      ({ selectors, totals }) => {
        const alert = document.querySelector(".notice-error, [role=alert]");
        if (alert) return { error: alert.textContent };
        if (!selectors.every((s) => document.querySelector(s))) return false;
        if (document.body.innerText.includes("Loading…")) return false;
        // The totals stay "—" until the summary answered.
        if (totals) {
          const value = document.querySelector("section.stats .stat-value");
          if (!value || value.textContent.trim() === "—") return false;
        }
        return { ok: true };
      },
      { selectors, totals },
      { polling: "raf" },
    );
    const value = await state.jsonValue();
    if (value.error) throw new Error(`the page shows an error: ${value.error}`);
  };
}

const records = "section[aria-labelledby=records-heading] tbody tr td code";
const logRows = "tbody tr td a code";
const pages = [
  ["usage explorer (default view)", "/usage", readyWhen([records], { totals: true })],
  ["usage explorer, one user", `/usage?user_id=${USER_ID}`, readyWhen([records], { totals: true })],
  [
    "usage explorer, by model per day (October)",
    "/usage?group=model&per=day&from=2026-10-01T00:00&to=2026-10-31T00:00",
    readyWhen([records, "section[aria-labelledby=group-heading] tbody tr td.num"], { totals: true }),
  ],
  ["request log list", "/logs", readyWhen([logRows])],
  ["request log list, status 429", "/logs?status=429", readyWhen([logRows])],
  ["request log detail, by id", `/logs/${encodeURIComponent(LOG_REQUEST_ID)}`, readyWhen(["dl.facts dd code", "#upstream-heading", "details.attempt"])],
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
const results = [];
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "en-US", timezoneId: "UTC" });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(GATEWAY + "/");
  await page.getByLabel("User name").fill(process.env.GPROXY_ADMIN_USER || "admin");
  await page.getByLabel("Password").fill(process.env.GPROXY_ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("navigation").getByRole("link", { name: "Usage", exact: true }).waitFor();

  /** Milliseconds from navigation start until the page is ready. */
  const time = async (path, ready) => {
    const start = performance.now();
    await page.goto(GATEWAY + path, { waitUntil: "commit" });
    await ready(page);
    return performance.now() - start;
  };

  for (const [index, [name, path, ready]] of pages.entries()) {
    try {
      await time(path, ready); // warm-up
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await time(path, ready));
      runs.sort((a, b) => a - b);
      const [min, median, max] = [runs[0], runs[runs.length >> 1], runs.at(-1)];
      results.push({ page: name, path, runs, min_ms: min, median_ms: median, max_ms: max });
      console.log(`${name}: min ${min.toFixed(0)} ms, median ${median.toFixed(0)} ms, max ${max.toFixed(0)} ms (${RUNS} loads)`);
    } catch (error) {
      results.push({ page: name, path, error: String(error.message || error).split("\n")[0] });
      console.log(`${name}: FAILED: ${error.message || error}`);
    }
    await page.screenshot({ path: `${RESULTS_DIR}/page-${index + 1}.png`, fullPage: true }).catch(() => {});
  }
} finally {
  writeFileSync(`${RESULTS_DIR}/pages.json`, JSON.stringify({ runs: RUNS, pages: results }, null, 2));
  await browser.close();
}
if (results.some((r) => r.error)) process.exitCode = 1;
