import { describe, expect, it } from 'vitest';
import { type BundleItem, portalFiles } from '../web/service-worker.plugin.ts';

const meta = (css: string[] = [], assets: string[] = []) => ({
  importedCss: new Set(css),
  importedAssets: new Set(assets),
});

/** A bundle shaped like Vite's: two HTML entries sharing React, each with lazy pages. */
const bundle: Record<string, BundleItem> = {
  'assets/index.js': {
    type: 'chunk',
    fileName: 'assets/index.js',
    isEntry: true,
    facadeModuleId: '/repo/web/index.html',
    imports: ['assets/react.js'],
    dynamicImports: ['assets/BoardPage.js'],
    viteMetadata: meta(['assets/index.css'], ['assets/logo.svg']),
  },
  'assets/BoardPage.js': {
    type: 'chunk',
    fileName: 'assets/BoardPage.js',
    imports: ['assets/format.js', 'assets/react.js'],
    viteMetadata: meta(),
  },
  'assets/format.js': { type: 'chunk', fileName: 'assets/format.js', viteMetadata: meta() },
  'assets/react.js': { type: 'chunk', fileName: 'assets/react.js', viteMetadata: meta() },
  'assets/staff.js': {
    type: 'chunk',
    fileName: 'assets/staff.js',
    isEntry: true,
    facadeModuleId: '/repo/web/staff.html',
    imports: ['assets/react.js', 'assets/antd.js'],
    viteMetadata: meta(['assets/staff.css']),
  },
  'assets/antd.js': { type: 'chunk', fileName: 'assets/antd.js', viteMetadata: meta() },
  'index.html': { type: 'asset', fileName: 'index.html' },
  'staff.html': { type: 'asset', fileName: 'staff.html' },
};

describe('the service worker precache list', () => {
  it('holds the portal, its lazy pages, CSS and assets, and nothing only the staff uses', () => {
    expect(portalFiles(bundle)).toEqual([
      '/assets/BoardPage.js',
      '/assets/format.js',
      '/assets/index.css',
      '/assets/index.js',
      '/assets/logo.svg',
      '/assets/react.js',
      '/index.html',
    ]);
  });

  it('fails the build when the portal entry is missing', () => {
    const { 'assets/index.js': _, ...rest } = bundle;
    expect(() => portalFiles(rest)).toThrow(/no entry chunk/);
  });
});
