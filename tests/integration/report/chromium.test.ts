import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { buildReportData, renderReport } from '../../../lib/report/index.ts';
import { reportParts } from '../../helpers/report-data.ts';

const CHROMIUM = '/usr/bin/chromium';

// infra/setup.mjs installs Debian's chromium when it can (root); elsewhere this says why it skips.
describe.skipIf(!existsSync(CHROMIUM))(`the HTML report in headless Chromium (${CHROMIUM})`, () => {
  it('renders every chart with a real size, shows the decision, logs no error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    const data = buildReportData(reportParts());
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(data));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

      const decision = page.locator('#decision');
      await expect(decision.isVisible()).resolves.toBe(true);
      expect(await decision.textContent()).toBe(data.decision.promote ? 'PROMOTE B' : 'KEEP A');
      const boxes = await page.locator('svg.chart').evaluateAll((svgs) =>
        svgs.map((s) => {
          const r = s.getBoundingClientRect();
          return { title: s.querySelector('title')?.textContent, w: r.width, h: r.height };
        }),
      );
      expect(boxes).toHaveLength(8);
      for (const b of boxes) {
        expect(b.w, b.title ?? '').toBeGreaterThan(200);
        expect(b.h, b.title ?? '').toBeGreaterThan(80);
      }
      // Drawn marks, not just empty frames: whiskers, bars and lines exist in the DOM.
      expect(await page.locator('svg.chart circle').count()).toBeGreaterThan(5);
      expect(await page.locator('svg.chart rect').count()).toBeGreaterThan(5);
      expect(await page.locator('svg.chart path').count()).toBeGreaterThanOrEqual(4);
      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.length).toBeGreaterThan(50_000);
      expect(problems).toEqual([]);
      // Only the file itself was loaded: the report needs nothing from anywhere.
      expect(requests).toEqual([pathToFileURL(file).href]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
