// Headless Chromium from Debian's package, driven by playwright-core (Playwright's own browser
// download is never used): a fresh profile per test file, removed afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

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
