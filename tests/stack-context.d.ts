import type { StackEndpoints } from '../lib/stack/config.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The real local stack started by tests/global-setup.ts. */
    stack: StackEndpoints & {
      dir: string;
      s3Credentials: { accessKeyId: string; secretAccessKey: string };
      /** Environment variables that point the pipeline at this stack. */
      env: Record<string, string>;
    };
  }
}
