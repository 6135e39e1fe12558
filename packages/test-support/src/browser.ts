// Headless Chromium from Debian's package, driven by playwright-core (Playwright's own browser
// download is never used): a fresh profile per test file, removed afterwards.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Response } from 'playwright-core';

const CHROMIUM = process.env.SRS_CHROMIUM ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps calling Google's hosts, which this
// network refuses.
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser with a profile folder of its own (also a place for files the test makes). */
export interface TestBrowser {
  context: BrowserContext;
  profile: string;
  close(): Promise<void>;
}

/**
 * `trustSpki`: public-key hashes (serverSpkiHash) of the servers to trust beyond the system's CAs,
 * as a user who imported the stack's CA would (Chromium takes them only with a profile folder).
 */
export async function launchBrowser(options: { trustSpki?: string[] } = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'srs-chromium-'));
  const trust = options.trustSpki ?? [];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...CHROMIUM_FLAGS,
      ...(trust.length === 0 ? [] : [`--ignore-certificate-errors-spki-list=${trust.join(',')}`]),
    ],
    viewport: { width: 1280, height: 1000 },
  });
  return {
    context,
    profile,
    close: async () => {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// Errors Chromium gives a navigation when the host's network changes under it: Docker adds and
// removes a veth interface for every container that starts or stops (other test files', other
// stacks'), and Chromium's network-change watcher then aborts the requests in flight. And an
// empty response: Shiny Server closes a connection that sees no traffic for 45 s, as when the
// app's R process is busy (an app still loading on a loaded machine).
const TRANSIENT = /net::ERR_(NETWORK_CHANGED|CONNECTION_RESET|CONNECTION_CLOSED|EMPTY_RESPONSE)\b/;

/**
 * `page.goto`, tried again (up to 4 times, half a second apart) when the navigation fails for
 * one of the passing reasons above; any other error is thrown at once.
 */
export async function openPage(
  page: Page,
  url: string,
  options: { timeoutMs: number },
): Promise<Response | null> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await page.goto(url, { timeout: options.timeoutMs });
    } catch (error) {
      if (attempt >= 4 || !(error instanceof Error) || !TRANSIENT.test(error.message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * Opens `url` and waits for `readySelector`, signing in on the way when the page shows a login
 * form (`#password_input`, the door's and JupyterLab's). A round that ends without the selector
 * (a form post or a script the network change above aborted leaves a blank or error page, and
 * nothing on the page asks again) keeps a screenshot `<shot>-<round>.png` in `shotsDir` and
 * opens `url` again, as a user would reload; the last round's error names the page's address.
 */
export async function openSignedIn(
  page: Page,
  url: string,
  options: {
    password: string;
    readySelector: string;
    roundMs: number;
    rounds: number;
    shotsDir: string;
    shot: string;
  },
): Promise<void> {
  for (let round = 1; ; round += 1) {
    if (round > 1 || page.url() === 'about:blank') {
      await openPage(page, url, { timeoutMs: options.roundMs });
    }
    if ((await page.locator('#password_input').count()) > 0) {
      await page.fill('#password_input', options.password);
      await page.click('#login_submit');
    }
    try {
      await page.waitForSelector(options.readySelector, { timeout: options.roundMs });
      return;
    } catch (error) {
      await mkdir(options.shotsDir, { recursive: true });
      const path = join(options.shotsDir, `${options.shot}-${round}.png`);
      await page.screenshot({ path }).catch(() => undefined);
      if (round >= options.rounds) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        throw new Error(
          `${options.readySelector} not shown after ${round} rounds; the page is at ` +
            `${page.url()} (screenshot ${path}): ${reason}`,
        );
      }
    }
  }
}
