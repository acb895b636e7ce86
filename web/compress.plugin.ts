import fs from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** Text files worth compressing; images and fonts are compressed already. */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|webmanifest|txt)$/;
/** Below this a compressed copy saves less than its extra headers and disk. */
const MIN_BYTES = 1024;

/**
 * Writes `file.gz` (gzip -9) and `file.br` (brotli, quality 11) next to every compressible file of
 * the build, so the server (`@fastify/static` with `preCompressed`) sends the smallest copy the
 * browser accepts without compressing on each request. Returns the files written.
 */
export function compressDir(dir: string): string[] {
  const written: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.vite') walk(p);
        continue;
      }
      if (!COMPRESSIBLE.test(e.name)) continue;
      // The second build into the folder (web/vite.staff.config.ts) leaves the first one's copies be.
      if (isFresh(p, `${p}.br`) && isFresh(p, `${p}.gz`)) continue;
      const raw = fs.readFileSync(p);
      if (raw.length < MIN_BYTES) continue;
      fs.writeFileSync(`${p}.gz`, gzipSync(raw, { level: 9 }));
      fs.writeFileSync(
        `${p}.br`,
        brotliCompressSync(raw, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: 11,
            [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
            [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          },
        }),
      );
      written.push(`${p}.gz`, `${p}.br`);
    }
  };
  walk(dir);
  return written;
}

/** Whether `copy` exists and was written after `file`. */
function isFresh(file: string, copy: string): boolean {
  try {
    return fs.statSync(copy).mtimeMs >= fs.statSync(file).mtimeMs;
  } catch {
    return false;
  }
}

/** The Vite side: compresses the output folder once everything (sw.js included) is written. */
export function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'gongzhi-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      compressDir(outDir);
    },
  };
}
