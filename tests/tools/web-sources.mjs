// Drives the web page's sources in headless Chromium (Debian's /usr/bin/chromium via playwright-core) as a person would:
// adds a folder source with the form, waits until its first sync shows as succeeded and its document is listed, then
// syncs it again with the button. Saves a screenshot after each step.
//   node web-sources.mjs <base-url> <out-dir> <collection> <folder>
// Prints one JSON report; exits 1 when a step fails (the report says which).
import { openSession } from "./browser-session.mjs";

const [base, out, collection, folder] = process.argv.slice(2);
const { page, report, step, finish } = await openSession(out);
const row = () => page.locator("#sources tbody tr[data-source=share]");

try {
  await page.goto(base, { waitUntil: "load", timeout: 30000 });
  await page.fill("#collection", collection);
  await page.click("nav [data-tab=documents]");
  await step("fields", async () => {
    await page.click("#add-source summary");
    await page.selectOption("#source-form [name=kind]", "s3");
    const s3 = await page.locator("#source-form label:not([hidden])").allInnerTexts();
    await page.selectOption("#source-form [name=kind]", "folder");
    return s3.map((label) => label.split("\n")[0].trim());
  });
  await step("added", async () => {
    await page.fill("#source-form [name=id]", "share");
    await page.fill("#source-form [name=path]", folder);
    await page.click("#source-form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#sources tr[data-source=share] td:nth-child(4)")?.textContent === "succeeded", null, { timeout: 120000 });
    await page.locator("#documents tbody tr").first().waitFor({ timeout: 60000 });
    return {
      cells: await row().locator("td").allInnerTexts(),
      documents: await page.locator("#documents tbody tr td:first-child").allInnerTexts(),
    };
  });
  await step("synced", async () => {
    const before = await row().locator("td.last-sync").innerText();
    await row().locator("button.sync").click();
    await page.waitForFunction((previous) => {
      const cells = document.querySelectorAll("#sources tr[data-source=share] td");
      return cells.length > 0 && cells[3].textContent === "succeeded" && cells[4].textContent !== previous;
    }, before, { timeout: 120000 });
    return await row().locator("td.last-sync").innerText();
  });
} catch {
  // the report names the failed step
}
await finish();
