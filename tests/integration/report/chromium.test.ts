import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { buildReportData, renderReport } from '../../../lib/report/index.ts';
import { ALL_CHARTS, reportParts } from '../../helpers/report-data.ts';
import { tempDir } from '../../helpers/tmp.ts';

const CHROMIUM = '/usr/bin/chromium';
// infra/setup.mjs installs Debian's chromium when it runs as root with apt-get. Only where it
// cannot (no root, no apt) may this test skip, and it says why; on CI (root) it always runs.
const canInstall =
  process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
const skipReason =
  existsSync(CHROMIUM) || canInstall
    ? ''
    : `SKIPPED: ${CHROMIUM} is missing and infra/setup.mjs cannot install it here (needs root and apt-get)`;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(skipReason !== '')(
  `the HTML report in headless Chromium${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    const dir = tempDir('report-chromium-');

    it('renders every chart with a real size, shows the decision, logs no error, loads nothing else', async () => {
      expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: run node infra/setup.mjs`).toBe(true);
      const data = buildReportData(reportParts());
      const file = join(dir, 'report.html');
      writeFileSync(file, renderReport(data));
      const profile = join(dir, 'profile');
      mkdirSync(profile);
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        args: ARGS,
        viewport: { width: 1100, height: 900 },
      });
      try {
        const page = await context.newPage();
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
        expect(await decision.isVisible()).toBe(true);
        expect(await decision.textContent()).toBe(data.decision.promote ? 'PROMOTE B' : 'KEEP A');
        const fontPx = await decision.evaluate((e) =>
          parseFloat(e.ownerDocument.defaultView!.getComputedStyle(e).fontSize),
        );
        expect(fontPx).toBeGreaterThanOrEqual(28); // big letters: twice the body text

        const charts = await page.locator('svg.chart').evaluateAll((svgs) =>
          svgs.map((s) => {
            const r = s.getBoundingClientRect();
            // What the browser actually drew inside: marks, not just an empty frame.
            const marks = s.querySelectorAll('circle, rect, path, line').length;
            return { title: s.querySelector('title')?.textContent, w: r.width, h: r.height, marks };
          }),
        );
        expect(charts.map((c) => c.title)).toEqual(ALL_CHARTS);
        for (const c of charts) {
          expect(c.w, c.title ?? '').toBeGreaterThan(200);
          expect(c.h, c.title ?? '').toBeGreaterThan(80);
          expect(c.marks, c.title ?? '').toBeGreaterThan(1);
        }
        for (const id of ['metrics', 'segments', 'models', 'training', 'composition', 'gan', 'llm'])
          expect(await page.locator(`section#${id} h2`).isVisible(), id).toBe(true);
        expect(await page.getByText('No LLM produced these samples.').isVisible()).toBe(true);

        const shot = join(dir, 'report.png');
        await page.screenshot({ path: shot, fullPage: true });
        const png = readFileSync(shot);
        expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
        // IHDR: the full page at the viewport's width and several screens tall.
        expect(png.readUInt32BE(16)).toBe(1100);
        expect(png.readUInt32BE(20)).toBeGreaterThan(2000);
        // A blank page this size compresses to a few KB; text and charts take far more.
        expect(png.length).toBeGreaterThan(100_000);

        expect(problems).toEqual([]);
        // Only the file itself was loaded: the report needs nothing from anywhere.
        expect(requests).toEqual([pathToFileURL(file).href]);
      } finally {
        await context.close();
      }
    }, 60_000);
  },
);
