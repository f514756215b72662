// Drives the silo's web page in headless Chromium (Debian's /usr/bin/chromium via playwright-core; no browser
// download) as a person would: an error shown as the problem details say, files uploaded by drag and drop and by
// the file picker and followed to "ready", a streamed answer, a click on a citation, thumbs down on the answer, a
// search, a delete, and the operations tab. Saves a screenshot after each step.
//   node web-ui.mjs <base-url> <out-dir> <pdf-file>
// Prints one JSON report; exits 1 when a step fails (the report says which).
import { openSession } from "./browser-session.mjs";

const [base, out, pdf] = process.argv.slice(2);
if (!base || !out || !pdf) {
  console.error("usage: node web-ui.mjs <base-url> <out-dir> <pdf-file>");
  process.exit(2);
}

const { page, report, step, finish } = await openSession(out);
page.on("dialog", (dialog) => dialog.accept());
const asks = [];
page.on("response", (response) => {
  if (response.url().endsWith("/ask")) asks.push({ status: response.status(), contentType: response.headers()["content-type"] ?? "" });
});

try {
  await page.goto(base, { waitUntil: "load", timeout: 30000 });
  report.title = await page.title();

  await step("error", async () => {
    await page.fill("#collection", "no-such-collection");
    await page.fill("#question", "Is anything here?");
    await page.click("#ask-form button[type=submit]");
    await page.locator("#error-detail").filter({ hasText: /\S/ }).waitFor({ timeout: 30000 });
    const text = (await page.locator("#error").innerText()).trim();
    await page.click("#error-close");
    await page.locator("#error").waitFor({ state: "hidden", timeout: 5000 });
    return text;
  });

  await step("uploads", async () => {
    await page.fill("#collection", "web");
    await page.click("nav [data-tab=documents]");
    // Drag and drop of a Markdown file made in the page.
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([
        "# Volcanoes\n\nVolcanoes erupt when magma rises through the crust and pressure builds until the rock gives way. "
        + "Basalt lava flows far because it is runny.\n",
      ], "volcanoes.md", { type: "text/markdown" }));
      const drop = document.querySelector("#drop");
      for (const type of ["dragover", "drop"]) drop.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    // The file picker with a PDF from disk.
    await page.setInputFiles("#files", pdf);
    const statuses = {};
    for (const id of ["volcanoes.md", pdf.split("/").pop()]) {
      const status = page.locator(`#uploads li[data-document="${id}"] span`);
      await status.filter({ hasText: /ready|failed/ }).waitFor({ timeout: 180000 });
      statuses[id] = (await status.innerText()).trim();
    }
    await page.locator("#documents tbody tr").nth(1).waitFor({ timeout: 30000 });
    return { statuses, listed: await page.locator("#documents tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.document)) };
  });

  await step("ask", async () => {
    await page.click("nav [data-tab=ask]");
    await page.fill("#question", "What happens when gas pressure in the magma exceeds the strength of the rock?");
    await page.click("#ask-form button[type=submit]");
    await page.locator("#citations li").first().waitFor({ timeout: 60000 });
    return {
      answer: (await page.locator("#answer").innerText()).trim(),
      citations: await page.locator("#citations li").allInnerTexts(),
      markers: await page.locator("#answer a.cite").count(),
      responses: asks,
      meta: await page.locator("#answer-meta").innerText(),
    };
  });

  await step("citation", async () => {
    const marker = page.locator("#answer a.cite").first();
    const n = (await marker.innerText()).replace(/\D/g, "");
    await marker.click();
    await page.locator(`#cite-${n}.selected`).waitFor({ timeout: 5000 });
    return { clicked: Number(n), selected: await page.locator("#citations li.selected").getAttribute("id") };
  });

  await step("feedback", async () => {
    // Thumbs down on the answer: the button shows pressed once the rating is in; the test reads the query log.
    const down = page.locator("#answer-feedback button[data-rating=down]");
    await down.click();
    await page.locator("#answer-feedback button[data-rating=down][aria-pressed=true]").waitFor({ timeout: 30000 });
    return {
      answerId: await page.locator("#answer-feedback .feedback").getAttribute("data-answer-id"),
      upPressed: await page.locator("#answer-feedback button[data-rating=up]").getAttribute("aria-pressed"),
      status: await page.locator("#answer-feedback .feedback-status").innerText(),
    };
  });

  await step("original", async () => {
    // The PDF's citation opens its original in a new tab at the cited page.
    const open = page.locator("#citations li a.open", { hasText: "page" }).first();
    const [tab] = await Promise.all([page.waitForEvent("popup", { timeout: 30000 }), open.click()]);
    await tab.waitForURL(/^blob:.*#page=\d+$/, { timeout: 30000, waitUntil: "commit" });
    const url = tab.url();
    await tab.close();
    return { link: await open.getAttribute("href"), url };
  });

  await step("chunks", async () => {
    await page.click("nav [data-tab=documents]");
    await page.locator(`#documents tbody tr[data-document="${pdf.split("/").pop()}"] button.show-chunks`).click();
    await page.locator("#chunks li").first().waitFor({ timeout: 30000 });
    return { title: await page.locator("#chunks-title").innerText(), chunks: await page.locator("#chunks li .meta").allInnerTexts(),
      status: await page.locator("#chunks-status").innerText() };
  });

  await step("search", async () => {
    await page.click("nav [data-tab=search]");
    await page.fill("#query", "basalt lava");
    await page.selectOption("#mode", "bm25");
    await page.click("#search-form button[type=submit]");
    await page.locator("#hits li").first().waitFor({ timeout: 30000 });
    return { hits: await page.locator("#hits li").allInnerTexts(), meta: await page.locator("#search-meta").innerText() };
  });

  await step("delete", async () => {
    await page.click("nav [data-tab=documents]");
    await page.locator('#documents tbody tr[data-document="volcanoes.md"] button.delete').click();
    await page.locator('#documents tbody tr[data-document="volcanoes.md"]').waitFor({ state: "detached", timeout: 30000 });
    return await page.locator("#documents tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.document));
  });

  await step("operations", async () => {
    await page.click("nav [data-tab=operations]");
    const deadline = Date.now() + 60000;
    // Metrics reach the summary with the silo's next report (every few seconds).
    const asked = async () => (await page.locator("#operations tbody tr td:first-child").allInnerTexts()).includes("ask");
    while (((await page.locator("#silos tbody tr").count()) === 0 || !(await asked())) && Date.now() < deadline) {
      await page.waitForTimeout(1000);
      await page.click("#refresh-operations");
    }
    return {
      silos: await page.locator("#silos tbody tr").count(),
      operations: await page.locator("#operations tbody tr td:first-child").allInnerTexts(),
      alerts: await page.locator("#alerts li").allInnerTexts(),
    };
  });
} catch {
  // recorded in the report
}
await finish();
