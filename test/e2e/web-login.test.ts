/**
 * The web login page in a real browser: the bot's login answer links to it, it shows the same QR
 * code as the bot, follows the code when it is refreshed, and says who is logged in after the
 * phone scans it. Screenshots of each state are kept in test-artifacts/web-login/.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { PrimaryDevice } from "@signalapp/mock-server";
import type { Browser, Page } from "puppeteer-core";
import { qrCodePng } from "../../src/bridge/qr-code.js";
import { withBridgeLog } from "../support/bridge-process.js";
import { type BridgeWithSignal, fromUser, startBridgeWithSignal } from "../support/bridge-with-signal.js";
import { keepScreenshot, startBrowser } from "../support/browser.js";
import { scanLinkUrl } from "../support/linked-signal-client.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";

const ARTIFACTS = "web-login";

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let browser: Browser | undefined;
let phone: PrimaryDevice;
let page: Page;
let link: string;
/** The QR code URL shown last (by the bot in the room, and by the page). */
let shownUrl: string;

before(async () => {
  mock = await startMockSignalServer();
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone" });
  setting = await startBridgeWithSignal(mock, {}, { publicAddress: true });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await setting?.stop();
  await mock?.close();
});

/** The data URL of the QR code image the page shows now. */
const pageQr = () => page.$eval("#qr", (image) => image.getAttribute("src"));

/** Whether the page's image is the QR code of `url`, drawn as the bridge draws it. */
async function showsQrOf(url: string): Promise<boolean> {
  const expected = `data:image/png;base64,${(await qrCodePng(url)).toString("base64")}`;
  return (await pageQr()) === expected;
}

const status = () => page.$eval("#status", (element) => element.textContent ?? "");

test("the bot's login answer links to a page that shows the same QR code", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const { alice, managementRoom, bridge } = setting!;
    await alice.sendText(managementRoom, "login");
    const qr = await alice.waitForEvent(
      managementRoom,
      fromUser(bridge.botUserId, /^sgnl:\/\/linkdevice\?uuid=/, "m.image"),
      "the QR code image",
    );
    shownUrl = String(qr.getContent()["body"]);
    const help = await alice.waitForEvent(
      managementRoom,
      fromUser(bridge.botUserId, /\/_signal\/login#/),
      "the notice with the web login link",
    );
    link = /(http:\/\/\S+\/_signal\/login#[\w-]+)/.exec(String(help.getContent()["body"]))![1]!;
    assert.ok(link.startsWith(`${bridge.url}/_signal/login#`), link);

    page = await browser!.newPage();
    await page.setViewport({ width: 520, height: 760 });
    await page.goto(link);
    await page.waitForSelector('body[data-state="qr"]', { timeout: 30_000 });
    assert.ok(await showsQrOf(shownUrl), "the page shows the QR code of the bot's link URL");
    assert.equal(new URL(page.url()).hash, "", "the token is taken out of the address bar");
    assert.match(await status(), /Scan this code with Signal/);
    await keepScreenshot(page, ARTIFACTS, "1-qr-shown");
  });
});

test("when the QR code is refreshed the page shows the new one", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const { alice, managementRoom, bridge } = setting!;
    const before = shownUrl;
    // The provisioning socket drops; linking opens a new one, which has a new address.
    mock.dropConnections();
    const refreshed = await alice.waitForEvent(
      managementRoom,
      (event) =>
        fromUser(bridge.botUserId, /^sgnl:\/\/linkdevice\?uuid=/, "m.image")(event) &&
        event.getContent()["body"] !== before,
      "the refreshed QR code in the room",
    );
    shownUrl = String(refreshed.getContent()["body"]);
    const expected = `data:image/png;base64,${(await qrCodePng(shownUrl)).toString("base64")}`;
    await page.waitForFunction(
      `document.getElementById("qr").getAttribute("src") === ${JSON.stringify(expected)}`,
      {
        timeout: 30_000,
      },
    );
    await keepScreenshot(page, ARTIFACTS, "2-qr-refreshed");
  });
});

test("after the phone scans the code the page says who is logged in", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await scanLinkUrl(mock, phone, Promise.resolve(shownUrl));
    await page.waitForSelector('body[data-state="linked"]', { timeout: 60_000 });
    assert.equal(await status(), `Logged in as ${phone.device.number}.`);
    assert.equal(await page.$eval("#qr", (image) => image.hasAttribute("hidden")), true);
    await keepScreenshot(page, ARTIFACTS, "3-logged-in");
    await setting!.alice.waitForEvent(
      setting!.managementRoom,
      fromUser(setting!.bridge.botUserId, new RegExp(`^Logged in as \\${phone.device.number}`)),
      "the bot's success notice",
    );

    // A reload of the same tab goes on with the page's session.
    await page.reload();
    await page.waitForSelector('body[data-state="linked"]', { timeout: 30_000 });
  });
});

test("the link works only once", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const other = await browser!.createBrowserContext();
    try {
      const second = await other.newPage();
      await second.setViewport({ width: 520, height: 760 });
      await second.goto(link);
      await second.waitForSelector('body[data-state="ended"]', { timeout: 30_000 });
      assert.equal(
        await second.$eval("#status", (element) => element.textContent),
        "This login link is no longer valid.",
      );
      await keepScreenshot(second, ARTIFACTS, "4-link-used");
    } finally {
      await other.close();
    }
  });
});

test("the link's token appears nowhere in the bridge's log", () => {
  const token = link.slice(link.indexOf("#") + 1);
  assert.ok(token.length >= 40);
  assert.ok(!setting!.bridge.output().includes(token));
});
