// Opens the Orleans Dashboard's silo list in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core; no browser download), waits until every expected silo address is on the page, and saves a
// screenshot.
//   node dashboard-screenshot.mjs <dashboard-url> <out.png> <silo-address>...
// Prints {"silos": [...addresses seen], "screenshot": path}; exits 1 when a silo never shows up.
import { chromium } from "playwright-core";

const [url, out, ...expected] = process.argv.slice(2);
if (!url || !out || expected.length === 0) {
  console.error("usage: node dashboard-screenshot.mjs <dashboard-url> <out.png> <silo-address>...");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let exitCode = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(new URL("#/silos", url).href, { waitUntil: "load", timeout: 30000 });
  const seen = [];
  for (const address of expected) {
    try {
      await page.getByText(address, { exact: false }).first().waitFor({ timeout: 30000 });
      seen.push(address);
    } catch {
      exitCode = 1;
    }
  }
  await page.screenshot({ path: out, fullPage: true });
  console.log(JSON.stringify({ silos: seen, screenshot: out, title: await page.title(), pageErrors: errors }));
} finally {
  await browser.close();
}
process.exit(exitCode);
