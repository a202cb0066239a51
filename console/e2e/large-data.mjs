// Page timings on a large data set (issue 11, point 5): the usage explorer and the request-log
// list, opened in headless Chromium against a gateway whose database holds the rows; each time
// is from the start of navigation until the page shows its data (first record row, no
// "Loading…" left). Not part of scripts/console-e2e; run by hand:
//
//   1. 1,000,000 usage rows (with their rollups) in a fresh SQLite file, through the store:
//        cargo build --release -p gproxy-storage --example usage_summary
//        mkdir -p /tmp/large/data
//        $CARGO_TARGET_DIR/release/examples/usage_summary db "sqlite:///tmp/large/data/gproxy.db?mode=rwc" 1000000 realistic
//   2. 100,000 request logs (downstream + one upstream attempt each, October 2026, 5 % 429):
//        ./large-logs.py /tmp/large/data/gproxy.db 100000
//   3. GPROXY_ADMIN_USER=admin GPROXY_ADMIN_PASSWORD=pw gproxy --data-dir /tmp/large/data --port 0
//   4. GPROXY_URL=http://127.0.0.1:PORT GPROXY_ADMIN_USER=admin GPROXY_ADMIN_PASSWORD=pw \
//        RESULTS_DIR=../../target-e2e/large node large-data.mjs
//
// Prints one line per page: min, median and max over RUNS loads (default 7, after 1 warm-up).
import { chromium } from "playwright-core";

const GATEWAY = process.env.GPROXY_URL;
const RUNS = Number(process.env.RUNS || 7);
if (!GATEWAY || !process.env.GPROXY_ADMIN_PASSWORD) throw new Error("set GPROXY_URL, GPROXY_ADMIN_USER and GPROXY_ADMIN_PASSWORD");

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "en-US" })).newPage();
page.setDefaultTimeout(30_000);
await page.goto(GATEWAY + "/");
await page.getByLabel("User name").fill(process.env.GPROXY_ADMIN_USER || "admin");
await page.getByLabel("Password").fill(process.env.GPROXY_ADMIN_PASSWORD);
await page.getByRole("button", { name: "Log in" }).click();
await page.getByRole("navigation").getByRole("link", { name: "Usage", exact: true }).waitFor();

/** Milliseconds from navigation start until `ready` resolves. */
async function time(path, ready) {
  const start = Date.now();
  await page.goto(GATEWAY + path, { waitUntil: "commit" });
  await ready();
  return Date.now() - start;
}

const pages = {
  "usage explorer (all time, totals + records)": ["/usage", async () => {
    await page.locator("#records-heading").waitFor();
    await page.locator("section[aria-labelledby=records-heading] tbody tr td code").first().waitFor();
    await page.waitForFunction(() => !document.body.innerText.includes("Loading…"));
  }],
  "usage explorer, grouped by model per day": ["/usage?group=model&per=day&from=2026-10-01T00:00&to=2026-10-31T00:00", async () => {
    await page.locator("section[aria-labelledby=records-heading] tbody tr td code").first().waitFor();
    await page.waitForFunction(() => !document.body.innerText.includes("Loading…"));
  }],
  "request log list": ["/logs", async () => {
    await page.locator("tbody tr td a, tbody tr td code").first().waitFor();
    await page.waitForFunction(() => !document.body.innerText.includes("Loading…"));
  }],
  "request log list, status 429": ["/logs?status=429", async () => {
    await page.locator("tbody tr td a, tbody tr td code").first().waitFor();
    await page.waitForFunction(() => !document.body.innerText.includes("Loading…"));
  }],
};
for (const [name, [path, ready]] of Object.entries(pages)) {
  await time(path, ready);
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await time(path, ready));
  runs.sort((a, b) => a - b);
  console.log(`${name}: min ${runs[0]} ms, median ${runs[runs.length >> 1]} ms, max ${runs.at(-1)} ms (${RUNS} loads)`);
  await page.screenshot({ path: `${process.env.RESULTS_DIR || "."}/large-${path.split("?")[0].slice(1)}${path.includes("?") ? "-filtered" : ""}.png`, fullPage: true });
}
await browser.close();
