#!/usr/bin/env node
// The `gongzhi` command: runs the TypeScript CLI through tsx (no separate build step).
import { register } from 'tsx/esm/api';

register();
await import('../server/cli.ts');
