/**
 * Checking an LLM's answer: JSON `{"liked": i, "disliked": j}` with 1 <= i, j <= candidates
 * and i != j. Only these two numbers are ever read from a model's text, so an answer can
 * select candidates but never add items. Everything else is counted and dropped.
 */
import type { Choice } from './types.ts';

/** JSON schema of an answer (for servers with structured output). */
export function answerJsonSchema(candidates: number): Record<string, unknown> {
  const index = { type: 'integer', minimum: 1, maximum: candidates };
  return {
    type: 'object',
    properties: { liked: index, disliked: index },
    required: ['liked', 'disliked'],
    additionalProperties: false,
  };
}

/**
 * The same answer as a schema a grammar can enforce completely (node-llama-cpp's GBNF
 * subset has no minimum/maximum): one alternative per liked number, each with a disliked
 * number from the others. A grammar-constrained model can then only say a valid answer.
 */
export function answerGrammarSchema(candidates: number) {
  const numbers = Array.from({ length: candidates }, (_, k) => k + 1);
  return {
    oneOf: numbers.map((liked) => ({
      type: 'object' as const,
      properties: {
        liked: { const: liked },
        disliked: { enum: numbers.filter((d) => d !== liked) },
      },
    })),
  };
}

/** The first balanced `{...}` of a text (models like to wrap JSON in prose or fences). */
function firstObject(text: string): string | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let k = start; k < text.length; k++) {
    const c = text[k];
    if (inString) {
      if (c === '\\') k++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(start, k + 1);
  }
  return undefined;
}

/** Parses and validates an answer; indices in the result are 0-based. */
export function parseAnswer(text: string, candidates: number): Choice {
  const body = firstObject(text);
  if (body === undefined)
    return { ok: false, reason: 'malformed', detail: `no JSON object in ${preview(text)}` };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: `invalid JSON (${(err as Error).message})` };
  }
  const o = value as Record<string, unknown>;
  const liked = o.liked;
  const disliked = o.disliked;
  if (!Number.isInteger(liked) || !Number.isInteger(disliked))
    return {
      ok: false,
      reason: 'malformed',
      detail: `expected integer liked and disliked, got ${preview(body)}`,
    };
  const [l, d] = [liked as number, disliked as number];
  if (l < 1 || l > candidates || d < 1 || d > candidates)
    return {
      ok: false,
      reason: 'outOfRange',
      detail: `liked ${l}, disliked ${d}: expected 1..${candidates}`,
    };
  if (l === d) return { ok: false, reason: 'same', detail: `liked = disliked = ${l}` };
  return { ok: true, liked: l - 1, disliked: d - 1, score: 1 };
}

function preview(text: string): string {
  const t = text.replace(/\s+/g, ' ');
  return JSON.stringify(t.length > 80 ? `${t.slice(0, 80)}…` : t);
}
