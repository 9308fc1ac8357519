// Issue 15, items 1-5, in a real browser against a real tandemd --demo: the
// chat after a handoff (who helps, no button, the newest message in view,
// the "New messages" pill), the queue while the team is away (no estimate,
// an email asked for and kept), the AI agent's honest low-confidence
// handoff and its marked answers while the chat waits, source links, the
// panel's shadow room and the pre-chat form. Screenshots at desktop and
// phone sizes go to the artifacts dir that CI keeps.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { Agent, ask, buildTandemd, conversationId, ensureArtifacts, eventually, launchBrowser, newPage as openPage, openWidget, startTandemd } from "./harness.mjs";

const SIZES = [["desktop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]];
let server;
let browser;
const newPage = (viewport, options) => openPage(browser, viewport, options);

before(async () => {
  server = await startTandemd(buildTandemd());
  assert.ok(server.key, "the demo printed its widget key");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});




/** inView reports whether the element is wholly inside the message list's visible box. */
function inView(locator) {
  return locator.evaluate((el) => {
    const box = el.closest(".scroll").getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  });
}

const talkButtons = (frame) => frame.locator(".actions button", { hasText: "Talk to a person" });

describe("the chat with the team (issue 15)", () => {
  for (const [name, viewport] of SIZES) {
    test(`${name}: after a handoff the header, the queue and the list follow who helps`, async () => {
      const dir = ensureArtifacts();
      const { context, page, errors } = await newPage(viewport);
      try {
        const frame = await openWidget(page, server.url);
        await frame.locator("#tw-name").fill("Sam Shopper");
        assert.equal(await frame.locator("#tw-subtitle").textContent(), "Ava · AI assistant");
        await ask(frame, "How much does express shipping cost?");
        const answer = frame.locator(".msg.from-bot", { hasText: "Express shipping" });
        await answer.waitFor();
        // Item 5: the cited document has a URL, so the source is a link.
        const source = answer.locator(".sources .source a");
        assert.equal(await source.getAttribute("href"), "https://example.com/help/shipping");
        assert.equal(await source.getAttribute("rel"), "noopener noreferrer nofollow");

        await talkButtons(frame).click();
        const id = await conversationId(page, server.key);
        // Item 1: queued, the header says so and the button is gone.
        await eventually(async () => (await frame.locator("#tw-subtitle").textContent()) === "Waiting for the team", "the waiting header");
        assert.equal(await talkButtons(frame).count(), 0, "no Talk to a person once with the team");
        // Item 3: nobody online: no estimate, how they will reply, an email asked for.
        const queue = frame.locator(".queue .queue-text");
        await queue.waitFor();
        const said = await queue.textContent();
        assert.match(said, /away/);
        assert.match(said, /in this chat/);
        assert.doesNotMatch(said, /minutes|ahead|in line|Expected wait/);
        await frame.locator(".queue-email").waitFor();
        // Item 2: the newest message (the AI agent's handoff note) is in view above the banner.
        await eventually(() => inView(frame.locator(".messages > li").last()), "the newest message in view after the handoff");
        await page.screenshot({ path: join(dir, `widget-${name}-away.png`) });

        await frame.locator("#tw-queue-email").fill("not an email");
        await frame.locator(".queue-email button").click();
        await frame.locator(".queue-email-note", { hasText: "valid email" }).waitFor();
        await frame.locator("#tw-queue-email").fill("sam@example.com");
        await frame.locator(".queue-email button").click();
        await frame.locator(".queue-email-note", { hasText: "sam@example.com" }).waitFor();
        assert.equal(await frame.locator(".queue-email").isHidden(), true, "no more asking once given");
        assert.match(await queue.textContent(), /by email/);
        const agent = await new Agent(server.url).login();
        assert.equal((await agent.history(id)).conversation.contact.email, "sam@example.com", "the email is on the contact");

        // An agent takes it and answers at length: the header names them, the list follows.
        await agent.takeOver(id);
        await eventually(async () => (await frame.locator("#tw-subtitle").textContent()) === "Alex Agent · Support team", "the agent in the header");
        assert.equal(await frame.locator(".helper-avatar").textContent(), "AA");
        assert.equal(await frame.locator(".helper-avatar").isVisible(), true);
        for (let i = 1; i <= 5; i++) await agent.say(id, `Step ${i} of checking your order: still looking, thanks for waiting.`);
        await agent.say(id, "Found it: your parcel ships today.");
        const newest = frame.locator(".msg.from-agent", { hasText: "your parcel ships today" });
        await newest.waitFor();
        await eventually(() => inView(newest), "the agent's newest reply in view");
        assert.equal(await talkButtons(frame).count(), 0);
        assert.equal(await frame.locator(".queue").isHidden(), true);
        await page.screenshot({ path: join(dir, `widget-${name}-agent-reply.png`) });

        // Scrolled up on purpose: the list stays, a pill offers the news.
        await frame.locator(".scroll").evaluate((el) => {
          el.scrollTop = 0;
        });
        await eventually(() => frame.locator(".scroll").evaluate((el) => el.scrollTop === 0), "scrolled up");
        await agent.say(id, "One more thing: tracking is on its way.");
        const later = frame.locator(".msg.from-agent", { hasText: "tracking is on its way" });
        await later.waitFor({ state: "attached" });
        await frame.locator(".new-messages").waitFor();
        assert.equal(await frame.locator(".scroll").evaluate((el) => el.scrollTop), 0, "the list did not move under the customer");
        assert.equal(await inView(later), false);
        await frame.locator(".new-messages").click();
        await eventually(() => inView(later), "the newest message after the pill");
        assert.equal(await frame.locator(".new-messages").isHidden(), true);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }

  test("low confidence hands off honestly; the AI agent answers confident questions while the chat waits, marked", async () => {
    const { context, page } = await newPage({ width: 1280, height: 800 });
    try {
      const frame = await openWidget(page, server.url);
      await ask(frame, "Is the moon made of cheese?");
      await frame.locator(".msg.from-bot", { hasText: "can't answer this one" }).waitFor();
      await eventually(async () => (await frame.locator("#tw-subtitle").textContent()) === "Waiting for the team", "the waiting header");
      assert.equal(await talkButtons(frame).count(), 0);
      assert.equal(await frame.locator(".while-waiting").count(), 0);

      await ask(frame, "How much does express shipping cost?");
      const marked = frame.locator(".msg.from-bot", { has: frame.locator(".while-waiting") });
      await marked.waitFor();
      assert.match(await marked.locator(".body").textContent(), /Express shipping costs \$12/);
      assert.match(await marked.locator(".author").textContent(), /AI assistant/);
      assert.match(await marked.locator(".while-waiting").textContent(), /while you wait for a person/);

      const bots = await frame.locator(".msg.from-bot").count();
      await ask(frame, "Do you sell unicorns?");
      await frame.locator(".msg.from-customer .delivery", { hasText: "Sent" }).last().waitFor();
      await page.waitForTimeout(2000); // the AI agent had time to say something, and must not
      assert.equal(await frame.locator(".msg.from-bot").count(), bots, "no extra message for a question it cannot answer");
    } finally {
      await context.close();
    }
  });

  for (const [name, viewport] of SIZES) {
    test(`${name}: the panel's shadow fits in the frame and the pre-chat form has room`, async () => {
      const dir = ensureArtifacts();
      const { context, page } = await newPage(viewport);
      try {
        const frame = await openWidget(page, server.url);
        const prechat = frame.locator(".prechat");
        await prechat.waitFor();
        const chip = talkButtons(frame);
        await chip.waitFor();
        const form = await prechat.boundingBox();
        const chipBox = await chip.boundingBox();
        assert.ok(form.y + form.height <= chipBox.y, `the form (${JSON.stringify(form)}) ends above the chip (${JSON.stringify(chipBox)})`);
        for (const input of ["#tw-name", "#tw-group"]) {
          const b = await frame.locator(input).boundingBox();
          assert.ok(b.height >= 32 && b.width >= 150, `${input} has room: ${JSON.stringify(b)}`);
          assert.equal(await inView(frame.locator(input)), true, `${input} is in view`);
        }
        // The shadow's reach stays inside the frame on every side the frame has an edge.
        const room = await frame.locator("section.panel").evaluate((el) => {
          const r = el.getBoundingClientRect();
          const shadow = getComputedStyle(el).boxShadow;
          const n = (shadow.match(/-?[\d.]+px/g) ?? []).map((x) => parseFloat(x));
          const [x = 0, y = 0, blur = 0, spread = 0] = n;
          return {
            shadow,
            left: r.left - (blur + spread - x),
            top: r.top - (blur + spread - y),
            right: innerWidth - r.right - (blur + spread + x),
          };
        });
        if (name === "desktop") {
          assert.notEqual(room.shadow, "none");
          assert.ok(room.left >= 0 && room.top >= 0 && room.right >= 0, `the shadow is clipped: ${JSON.stringify(room)}`);
        } else {
          assert.equal(room.shadow, "none", "on a phone the panel fills the screen, without a shadow");
        }
        await page.screenshot({ path: join(dir, `widget-${name}-prechat.png`) });
      } finally {
        await context.close();
      }
    });
  }
});
