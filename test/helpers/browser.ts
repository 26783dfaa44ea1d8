/**
 * A real Chromium for integration tests (TESTBED.md "Browser"): playwright-core driving the
 * system's /usr/bin/chromium, never a downloaded browser. Each launch gets a fresh profile dir,
 * removed again by close().
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchOptions {
  /** Defaults to the kiosk's 1920×1080. */
  viewport?: { width: number; height: number };
}

export interface LaunchedBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: install it with ` +
        '`apt-get install -y --no-install-recommends chromium fonts-wqy-microhei` (TESTBED.md "Browser")',
    );
  }
  const userDataDir = await mkdtemp(join(tmpdir(), 'linli-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      hasTouch: true,
      viewport: options.viewport ?? { width: 1920, height: 1080 },
      args: CHROMIUM_ARGS,
    });
  } catch (err) {
    await rm(userDataDir, { recursive: true, force: true });
    throw new Error(`Chromium at ${CHROMIUM_PATH} failed to start: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      try {
        await context.close();
      } finally {
        await rm(userDataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Saves a full-viewport PNG as `test/artifacts/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = join(ARTIFACTS_DIR, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Logs in on the admin page at `httpUrl` and waits until the element with `readyTestId` shows. */
export async function adminLogIn(
  page: Page,
  httpUrl: string,
  username: string,
  password: string,
  readyTestId: string,
): Promise<void> {
  await page.goto(`${httpUrl}/admin/`);
  await page.getByTestId('login-form').waitFor();
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.getByTestId(readyTestId).waitFor({ timeout: 10_000 });
}
