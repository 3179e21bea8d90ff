#!/usr/bin/env node
// Entry point of the `augment` CLI: runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every start that future versions need Node 22; Node 20 is supported
// by the pinned version, so the warning is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('../cli/main.ts');
