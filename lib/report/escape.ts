/**
 * Text for HTML/SVG content and attribute values. Every string that reaches the report goes
 * through here: pipeline names, run ids, reasons and an LLM's dropped answers are untrusted.
 */
export function esc(s: unknown): string {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
