/**
 * A real browser for pages the bridge serves: Debian's Chromium, headless, driven by
 * puppeteer-core (which never downloads a browser of its own). Screenshots go to the git-ignored
 * test-artifacts/ folder for people to look at.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { projectRoot } from "./wait.js";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

export async function startBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The tests run as root, where Chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

/** Saves a screenshot of `page` as test-artifacts/<folder>/<name>.png; returns its path. */
export async function keepScreenshot(page: Page, folder: string, name: string): Promise<string> {
  const dir = join(projectRoot, "test-artifacts", folder);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  return path;
}
