import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import * as assert from 'uvu/assert';

const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's Chromium, headless. The flags keep it off the network (this machine has none) and out of a sandbox it
 * cannot have as root. Fails with the install hint when it is missing (the browser tests do not skip).
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    assert.unreachable('chromium is not installed: apt-get install -y chromium (CI .ci/run does this)');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** The engine's operator console in Chromium, logged in with `token` (the page shows #main). */
export async function openConsole(
  url: string,
  token: string,
): Promise<{ browser: Browser; page: Page; pageErrors: string[] }> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    await page.fill('#token', token);
    await page.click('#login button');
    await page.waitForSelector('#main:not([hidden])', { timeout: 10000 });
    return { browser, page, pageErrors };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
