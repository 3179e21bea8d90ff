import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
/** The code folders whose guides (a README.md per folder) are checked with the docs. */
const GUIDE_ROOTS = ['lib', 'activities', 'workflows', 'python', 'bench'];

/** README.md files under `dir`, relative to the repository root. */
function guides(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
      out.push(...guides(path));
    else if (entry.name === 'README.md') out.push(path);
  }
  return out;
}

const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...GUIDE_ROOTS.flatMap(guides),
];

/** Markdown links and images: `[text](target)`, outside code spans and fences. */
function links(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6}\s+(.+)$/gm))
    out.add(
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  return out;
}

describe('links in README.md and docs/', () => {
  it('finds the documents', () => {
    expect(DOCS).toEqual(
      expect.arrayContaining(['README.md', 'docs/architecture.md', 'lib/data/README.md']),
    );
  });

  for (const doc of DOCS) {
    it(`${doc}: every relative link points at a file in the repository`, () => {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      const broken: string[] = [];
      for (const link of links(text)) {
        if (/^[a-z]+:/i.test(link)) continue; // https:, mailto: ...
        const [path, anchor] = link.split('#') as [string, string | undefined];
        const target = path ? resolve(dirname(join(ROOT, doc)), decodeURI(path)) : join(ROOT, doc);
        const inside = !relative(ROOT, target).startsWith('..');
        if (!inside || !existsSync(target)) {
          broken.push(`${link} (${inside ? 'no such file' : 'outside the repository'})`);
          continue;
        }
        if (anchor && target.endsWith('.md') && statSync(target).isFile()) {
          if (!anchors(readFileSync(target, 'utf8')).has(anchor))
            broken.push(`${link} (no heading for #${anchor})`);
        }
      }
      expect(broken).toEqual([]);
    });
  }

  it('the checker itself catches a missing file, an escape and a bad anchor', () => {
    expect(links('[a](x.md) `[b](y.md)` ![c](img/d.png "t") [e](https://e.org)')).toEqual([
      'x.md',
      'img/d.png',
      'https://e.org',
    ]);
    expect(anchors('# The A/B decision\n## `augment run` options')).toEqual(
      new Set(['the-ab-decision', 'augment-run-options']),
    );
  });
});

describe('README.md', () => {
  it('stays a short user guide', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').length).toBeLessThanOrEqual(15_000);
  });
});

describe('README.md and docs/ state what is true of the code', () => {
  // How a figure moved or who did what lives in the git log and bench/results, not in prose.
  const NARRATION = [
    /\b(this|previous|earlier|last) session\b/i,
    /\bsince this session\b/i,
    /\b20\d\d-\d\d-\d\d\b/, // dates of measurements
    /\(was [^)]*\)/i,
  ];
  for (const doc of DOCS)
    it(`${doc} does not narrate its own history`, () => {
      // Prose only: a date in a code span is an example of a format, not a measurement's.
      const prose = readFileSync(join(ROOT, doc), 'utf8')
        .replace(/```[\s\S]*?```/g, '')
        .replace(/`[^`\n]*`/g, '');
      const hits = NARRATION.flatMap((re) => prose.match(re) ?? []);
      expect(hits).toEqual([]);
    });
});
