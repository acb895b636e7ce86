import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

/** What the plugin needs to know of an output chunk or asset. */
export interface BundleItem {
  type: 'chunk' | 'asset';
  fileName: string;
  isEntry?: boolean;
  facadeModuleId?: string | null;
  imports?: string[];
  dynamicImports?: string[];
  viteMetadata?: { importedCss: Set<string>; importedAssets: Set<string> };
}

/**
 * The files the portal needs to start offline: its HTML, its entry chunk and every chunk it can
 * load (static and lazy pages), with their CSS and assets. Nothing only the staff entry uses.
 */
export function portalFiles(bundle: Record<string, BundleItem>, entryHtml = 'index.html'): string[] {
  const entry = Object.values(bundle).find(
    (c) => c.type === 'chunk' && c.isEntry && c.facadeModuleId?.endsWith(`/${entryHtml}`),
  );
  if (!entry) throw new Error(`no entry chunk for ${entryHtml}`);
  const seen = new Set<string>();
  const files = new Set<string>([entryHtml]);
  const visit = (fileName: string) => {
    if (seen.has(fileName)) return;
    seen.add(fileName);
    const c = bundle[fileName];
    if (c?.type !== 'chunk') return;
    files.add(c.fileName);
    for (const css of c.viteMetadata?.importedCss ?? []) files.add(css);
    for (const a of c.viteMetadata?.importedAssets ?? []) files.add(a);
    for (const i of [...(c.imports ?? []), ...(c.dynamicImports ?? [])]) visit(i);
  };
  visit(entry.fileName);
  return [...files].sort().map((f) => `/${f}`);
}

/** Writes `sw.js`: the template with the portal's file list and a version that changes with it. */
export function serviceWorker(): Plugin {
  const template = fileURLToPath(new URL('sw-template.js', import.meta.url));
  return {
    name: 'gongzhi-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const files = portalFiles(bundle as unknown as Record<string, BundleItem>);
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
      const source =
        `self.__PRECACHE__ = ${JSON.stringify(files)};\nself.__VERSION__ = ${JSON.stringify(version)};\n` +
        fs.readFileSync(template, 'utf8');
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}
