// Drives the web page's chat view in headless Chromium (Debian's /usr/bin/chromium via playwright-core) as a person
// would: a question, a follow-up answered in context (streamed), a citation click, a new conversation, and the old
// one picked again from the list after a reload. Saves a screenshot after each step.
//   node web-chat.mjs <base-url> <out-dir> <collection> <question> <follow-up>
// Prints one JSON report; exits 1 when a step fails (the report says which).
import { openSession } from "./browser-session.mjs";

const [base, out, collection, question, followUp] = process.argv.slice(2);
const { page, report, step, finish } = await openSession(out);
const streams = [];
page.on("response", (response) => {
  if (response.url().includes("/messages")) streams.push(response.headers()["content-type"] ?? "");
});

const turns = () => page.locator("#chat-log .turn");
async function send(text, count) {
  await page.fill("#chat-input", text);
  await page.click("#chat-form button[type=submit]");
  await page.locator(`#chat-log .turn:nth-child(${count})[data-turn]`).waitFor({ timeout: 60000 });
  const turn = turns().nth(count - 1);
  return {
    turn: await turn.getAttribute("data-turn"),
    answer: (await turn.locator(".answer").innerText()).trim(),
    answeredAs: (await turn.locator("p.muted").innerText()).trim(),
    citations: await turn.locator(".citations li .muted").allInnerTexts(),
  };
}

try {
  await page.goto(base, { waitUntil: "load", timeout: 30000 });
  await page.fill("#collection", collection);
  await page.click("nav [data-tab=chat]");

  await step("question", () => send(question, 1));
  await step("followUp", () => send(followUp, 2));
  await step("citation", async () => {
    await turns().nth(1).locator("a.cite").first().click();
    return (await turns().nth(1).locator(".citations li.selected .muted").innerText()).trim();
  });
  await step("listed", async () => (await page.locator("#conversations option").allInnerTexts()));
  const first = await page.locator("#conversations").inputValue();
  await step("newConversation", async () => {
    await page.click("#new-conversation");
    await page.waitForFunction(() => document.querySelectorAll("#chat-log .turn").length === 0, null, { timeout: 30000 });
    return await send(followUp, 1);
  });
  await step("reopened", async () => {
    await page.reload({ waitUntil: "load" });
    await page.fill("#collection", collection);
    await page.click("nav [data-tab=chat]");
    await page.locator("#conversations option").first().waitFor({ state: "attached", timeout: 30000 });
    await page.selectOption("#conversations", first);
    await page.waitForFunction(() => document.querySelectorAll("#chat-log .turn[data-turn]").length === 2, null, { timeout: 30000 });
    return await page.locator("#chat-log .turn .question").allInnerTexts();
  });
} catch {
  // the report names the failed step
}
report.streams = streams;
await finish();
