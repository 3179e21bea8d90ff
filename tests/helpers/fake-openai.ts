/**
 * A local HTTP server that speaks the OpenAI chat-completions protocol, for testing the LLM
 * client's handling of real HTTP: status codes, Retry-After, slow answers, odd bodies. Each
 * request is answered by `reply(body, n)` (n counts requests from 1). Not a model: the
 * default reply reads the candidate list and likes the first, dislikes the last.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: { type: string; json_schema?: { schema: unknown } };
  [k: string]: unknown;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Assistant message content (wrapped in a completion body). */
  content?: string;
  /** A raw body instead (e.g. an error object or broken JSON). */
  raw?: string;
}

export type ReplyFn = (body: ChatBody, n: number) => FakeReply;

/** Candidate count of a prompt built by lib/llm/prompt.ts. */
export function candidateCount(body: ChatBody): number {
  const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
  const m = /Candidates \(1 to (\d+)\)/.exec(user);
  return m ? Number(m[1]) : 0;
}

export const likeFirst: ReplyFn = (body) => ({
  content: JSON.stringify({ liked: 1, disliked: candidateCount(body) }),
});

export class FakeOpenAi {
  requests: { body: ChatBody; headers: IncomingHttpHeaders }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  reply: ReplyFn = likeFirst;
  private server?: Server;

  /** Starts on 127.0.0.1 and returns the base URL (`http://127.0.0.1:port/v1`). */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatBody;
        this.requests.push({ body, headers: req.headers });
        const r = this.reply(body, this.requests.length);
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const send = () => {
          this.inFlight--;
          if (res.destroyed) return;
          const status = r.status ?? 200;
          const payload =
            r.raw ??
            (status === 200
              ? JSON.stringify(completion(body.model, r.content ?? ''))
              : JSON.stringify({ error: { message: `fake error ${status}`, type: 'fake' } }));
          res.writeHead(status, { 'content-type': 'application/json', ...r.headers });
          res.end(payload);
        };
        if (r.delayMs) setTimeout(send, r.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

function completion(model: string, content: string) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
  };
}
