import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { TrackingInputError } from './errors.ts';
import type { HttpClient } from './http.ts';
import type { FileInfo } from './types.ts';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
const LIST = '/api/2.0/mlflow/artifacts/list';

/**
 * The rule for artifact paths: a relative POSIX path of non-empty segments, none `.` or
 * `..`, without `\`, `#`, `%` or control characters. The server rejects `#` and `..`, and
 * URL-decodes paths repeatedly, so a literal `%41` would be stored as `A`. Returns the path
 * without leading or trailing slashes; `''` is the artifact root.
 */
export function checkArtifactPath(path: string, allowRoot = false): string {
  const clean = path.replace(/^\/+|\/+$/g, '');
  if (clean === '') {
    if (allowRoot) return '';
    throw new TrackingInputError('artifact path', 'is empty; name a file');
  }
  if (/[\\#%\u0000-\u001f\u007f]/.test(clean))
    throw new TrackingInputError(
      `artifact path ${JSON.stringify(path)}`,
      'must not contain \\, #, % or control characters',
    );
  if (clean.split('/').some((s) => s === '' || s === '.' || s === '..'))
    throw new TrackingInputError(
      `artifact path ${JSON.stringify(path)}`,
      'must be a relative path without empty, . or .. segments',
    );
  return clean;
}

/**
 * The proxy location (`<experiment>/<run>/artifacts`) behind a run's artifact URI
 * `mlflow-artifacts:/<experiment>/<run>/artifacts` (or `mlflow-artifacts://host/...`).
 * Any other scheme means the server stores artifacts where this client cannot write.
 */
export function proxyRoot(artifactUri: string, runId: string): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/+(.+?)\/*$/.exec(artifactUri);
  if (!m)
    throw new TrackingInputError(
      `run ${runId}`,
      `stores artifacts at ${artifactUri}, not behind the artifact proxy; ` +
        'run the MLflow server with --serve-artifacts (the default in MLflow 2+)',
    );
  return m[1]!;
}

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

/**
 * A run's artifacts through the tracking server's artifact proxy
 * (`mlflow server --serve-artifacts`): the client needs no storage credentials, only the
 * MLflow URL and token. Artifact paths follow `checkArtifactPath`.
 */
export class ArtifactsApi {
  constructor(
    private readonly http: HttpClient,
    /** The run's artifact URI (cached by the caller: it never changes). */
    private readonly artifactUriOf: (runId: string) => Promise<string>,
    private readonly timeoutMs: number,
  ) {}

  /** `mlflow-artifacts:/...` URI of a path in a run's artifacts (e.g. a model version source). */
  async uri(runId: string, path = ''): Promise<string> {
    const root = (await this.artifactUriOf(runId)).replace(/\/+$/, '');
    const rel = checkArtifactPath(path, true);
    return rel ? `${root}/${rel}` : root;
  }

  /**
   * Uploads bytes, a string (UTF-8) or a local file (`{ file }`, streamed from disk, re-read
   * on retry) as `path` in the run's artifacts. An existing artifact is replaced.
   */
  async upload(
    runId: string,
    path: string,
    content: Uint8Array | string | { file: string },
  ): Promise<void> {
    const target = await this.proxyPath(runId, checkArtifactPath(path));
    if (typeof content === 'object' && 'file' in content) {
      const { file } = content;
      const { size } = await stat(file);
      await this.http.bytes({
        method: 'PUT',
        path: target,
        body: () => Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
        contentLength: size,
        timeoutMs: this.timeoutMs,
      });
      return;
    }
    await this.http.bytes({
      method: 'PUT',
      path: target,
      body: content,
      timeoutMs: this.timeoutMs,
    });
  }

  /**
   * Lists one folder of a run's artifacts (not recursive); paths are relative to the run's
   * artifact root. A folder that does not exist lists as empty.
   */
  async list(runId: string, path = ''): Promise<FileInfo[]> {
    const rel = checkArtifactPath(path, true);
    const out: FileInfo[] = [];
    let pageToken: string | undefined;
    do {
      // The tracking API's list (unlike the proxy's) answers with run-relative paths.
      const r = await this.http.json<{
        files?: { path: string; is_dir?: boolean; file_size?: number | string }[];
        next_page_token?: string;
      }>('GET', LIST, { run_id: runId, path: rel || undefined, page_token: pageToken });
      for (const f of r.files ?? [])
        out.push({
          path: f.path,
          is_dir: f.is_dir === true,
          ...(f.file_size !== undefined ? { file_size: Number(f.file_size) } : {}),
        });
      pageToken = r.next_page_token || undefined;
    } while (pageToken);
    return out;
  }

  /** Downloads one artifact file into memory. */
  async download(runId: string, path: string): Promise<Uint8Array> {
    const source = await this.proxyPath(runId, checkArtifactPath(path));
    return this.http.bytes({ method: 'GET', path: source, timeoutMs: this.timeoutMs });
  }

  /**
   * Streams one artifact file to `dest`. The bytes go to a temporary file renamed into
   * place at the end, so `dest` never holds a partial download.
   */
  async downloadToFile(runId: string, path: string, dest: string): Promise<void> {
    const source = await this.proxyPath(runId, checkArtifactPath(path));
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.${process.pid}.${Date.now()}.part`;
    try {
      await this.http.send(
        { method: 'GET', path: source, timeoutMs: this.timeoutMs },
        async (res) => {
          if (!res.body) throw new Error(`empty response body for artifact ${path}`);
          await pipeline(
            Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
            createWriteStream(tmp),
          );
        },
      );
      await rename(tmp, dest);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private async proxyPath(runId: string, rel: string): Promise<string> {
    const root = proxyRoot(await this.artifactUriOf(runId), runId);
    return `${PROXY}/${encodePath(`${root}/${rel}`)}`;
  }
}
