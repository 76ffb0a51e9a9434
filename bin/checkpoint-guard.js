#!/usr/bin/env node
// The `checkpoint-guard` command. It runs the TypeScript sources through tsx's
// loader, so a clone needs `npm ci` and no build step.
import { register } from 'tsx/esm/api';

register();
const { runFromProcess } = await import('../lambda/cli.ts');
await runFromProcess();
