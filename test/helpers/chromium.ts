// Debian's Chromium for the real-browser tests, driven by playwright-core: offline, headless, and a page that
// records every console error or warning, page error and request that leaves the allowed origin.
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Without the background-networking flags Chromium keeps dialling out, which this closed network refuses. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** A page of `viewport` (CSS px) whose `problems` collect console errors and warnings, page errors, and requests
 *  whose URL starts with neither `origin` nor `data:`. */
export async function watchedPage(browser: Browser, viewport: { width: number; height: number }, origin: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith(origin) && !u.startsWith('data:')) problems.push(`network: ${u}`); });
  return { page, problems };
}
