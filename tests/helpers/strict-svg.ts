/**
 * A strict checker for the report's inline SVG: every '<' starts a well-formed tag of a known
 * element, attributes are unique name="value" pairs, tags balance, text holds no raw markup
 * or bare '&', and every coordinate, size and path number is finite (no NaN, no Infinity).
 * Returns the problems found; empty means the fragment passed.
 */

const ELEMENTS = new Set(['svg', 'title', 'text', 'g', 'line', 'rect', 'circle', 'path']);
const NUMERIC = new Set([
  'x',
  'y',
  'x1',
  'x2',
  'y1',
  'y2',
  'cx',
  'cy',
  'r',
  'width',
  'height',
  'font-size',
  'stroke-width',
]);
const TAG = /^<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z][\w:-]*="[^"<>]*")*)\s*(\/?)>/;
const ATTR = /([a-zA-Z][\w:-]*)="([^"]*)"/g;
const ENTITY = /^&(amp|lt|gt|quot|#39);/;

const finite = (s: string) => s.trim() !== '' && Number.isFinite(Number(s));

function checkNumbers(attr: string, value: string): string | undefined {
  if (NUMERIC.has(attr)) return finite(value) ? undefined : `${attr}="${value}" is not finite`;
  let numbers: string[] | undefined;
  if (attr === 'viewBox') numbers = value.split(/[\s,]+/);
  if (attr === 'transform') {
    if (!/^((translate|rotate)\([^()]*\)\s*)+$/.test(value)) return `transform="${value}"`;
    numbers = value
      .replace(/[a-z()]/g, ' ')
      .trim()
      .split(/[\s,]+/);
  }
  if (attr === 'd') {
    if (!/^[ML0-9.\-\s]+$/.test(value)) return `d="${value}" has more than M/L and numbers`;
    numbers = value.replace(/[ML]/g, ' ').trim().split(/\s+/);
  }
  if (numbers && !numbers.every(finite)) return `${attr}="${value}" has a non-finite number`;
  return undefined;
}

export function strictSvgProblems(svg: string): string[] {
  const problems: string[] = [];
  const open: string[] = [];
  let rest = svg.trim();
  if (!rest.startsWith('<svg')) problems.push('does not start with <svg');
  while (rest.length) {
    const lt = rest.indexOf('<');
    const text = lt < 0 ? rest : rest.slice(0, lt);
    if (text.includes('>')) problems.push(`raw '>' in text: ${text.slice(0, 40)}`);
    for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1))
      if (!ENTITY.test(text.slice(i))) problems.push(`bare '&' in text: ${text.slice(i, i + 20)}`);
    if (lt < 0) break;
    if (text.trim() && open.length === 0) problems.push(`text outside the root: ${text}`);
    rest = rest.slice(lt);
    const m = TAG.exec(rest);
    if (!m) {
      problems.push(`malformed tag at: ${rest.slice(0, 40)}`);
      break;
    }
    const [whole, close, name, attrs, selfClose] = m;
    if (!ELEMENTS.has(name!)) problems.push(`unexpected element <${name}>`);
    const seen = new Set<string>();
    for (const [, attr, value] of attrs!.matchAll(ATTR)) {
      if (seen.has(attr!)) problems.push(`<${name}> repeats ${attr}`);
      seen.add(attr!);
      if (/^on/i.test(attr!)) problems.push(`<${name}> has an event handler ${attr}`);
      const bad = checkNumbers(attr!, value!);
      if (bad) problems.push(`<${name}> ${bad}`);
    }
    if (close) {
      if (attrs!.trim() || selfClose) problems.push(`malformed closing tag ${whole}`);
      const top = open.pop();
      if (top !== name) problems.push(`</${name}> closes <${top ?? 'nothing'}>`);
    } else if (!selfClose) {
      open.push(name!);
    }
    rest = rest.slice(whole.length);
    if (open.length === 0 && rest.trim()) {
      problems.push(`content after the root element: ${rest.slice(0, 40)}`);
      break;
    }
  }
  if (open.length) problems.push(`unclosed: ${open.join(', ')}`);
  return problems;
}

/** The <svg> fragments of an HTML document. */
export function svgFragments(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}
