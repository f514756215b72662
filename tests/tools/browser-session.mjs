// A headless Chromium session for the page tests (Debian's /usr/bin/chromium via playwright-core; no browser
// download): a page, its uncaught errors, and named steps that each leave a screenshot and a result in one report.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export async function openSession(out) {
  mkdirSync(out, { recursive: true });
  const report = { steps: [], pageErrors: [], screenshots: [] };
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (error) => report.pageErrors.push(error.message));
  let exitCode = 0;

  /** Runs a step: its result goes into the report under its name; a failure names the step; a screenshot either way. */
  async function step(name, action) {
    try {
      report[name] = await action();
      report.steps.push(name);
    } catch (error) {
      report.failedStep = name;
      report.failure = error.message;
      exitCode = 1;
      throw error;
    } finally {
      const shot = join(out, `${String(report.screenshots.length + 1).padStart(2, "0")}-${name}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      report.screenshots.push(shot);
    }
  }

  /** Prints the report as one JSON line and exits 1 when a step failed. */
  async function finish() {
    console.log(JSON.stringify(report));
    await browser.close();
    process.exit(exitCode);
  }

  return { page, report, step, finish };
}
