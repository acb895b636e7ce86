import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkBudget, checkFirstVisit, firstLoad, formatReport, type Manifest } from './check-bundle.ts';

/** A build like ours: a portal entry with React and a helper, lazy pages, a workbench with its libraries. */
const manifest: Manifest = {
  'index.html': {
    file: 'assets/index.js',
    isEntry: true,
    imports: ['_react.js', '_helper.js'],
    dynamicImports: ['src/pages/GridPage.tsx'],
    css: ['assets/index.css'],
  },
  '_react.js': { file: 'assets/react.js', imports: ['_runtime.js'] },
  '_runtime.js': { file: 'assets/runtime.js' },
  '_helper.js': { file: 'assets/helper.js', imports: ['_react.js'] },
  'src/pages/GridPage.tsx': { file: 'assets/GridPage.js', isDynamicEntry: true, imports: ['_react.js'] },
  'staff.html': { file: 'assets/staff.js', isEntry: true, imports: ['_react.js', '_antd.js'] },
  '_antd.js': { file: 'assets/antd.js', imports: ['_react.js'] },
  'src/staff/dashboard/DashboardPage.tsx': {
    file: 'assets/DashboardPage.js',
    src: 'src/staff/dashboard/DashboardPage.tsx',
    isDynamicEntry: true,
  },
};

/** Incompressible bytes of a given gzipped size (about), plus optional marker text. */
function files(sizes: Record<string, number>, text: Record<string, string> = {}) {
  const out = new Map<string, Buffer>();
  for (const [f, n] of Object.entries(sizes)) {
    out.set(f, Buffer.concat([Buffer.from(text[f] ?? ''), randomBytes(n)]));
  }
  return (file: string) => {
    const b = out.get(file);
    if (!b) throw new Error(`read ${file}`);
    return b;
  };
}

const gz = (b: Buffer) => gzipSync(b, { level: 9 }).length;

describe('portal bundle budget', () => {
  it('counts the entry and its static imports, transitively, not the pages loaded on demand', () => {
    expect(firstLoad(manifest, 'index.html').sort()).toEqual(
      ['_helper.js', '_react.js', '_runtime.js', 'index.html'].sort(),
    );
    expect(() => firstLoad(manifest, 'nope.html')).toThrow(/not in the build manifest/);
  });

  it('sums the gzipped size of those chunks and passes under the budget', () => {
    const read = files({
      'assets/index.js': 10_000,
      'assets/react.js': 60_000,
      'assets/runtime.js': 500,
      'assets/helper.js': 20_000,
    });
    const r = checkBudget(manifest, read);
    expect(r.chunks.map((c) => c.file).sort()).toEqual(
      ['assets/helper.js', 'assets/index.js', 'assets/react.js', 'assets/runtime.js'].sort(),
    );
    const expected = ['assets/index.js', 'assets/react.js', 'assets/runtime.js', 'assets/helper.js']
      .map((f) => gz(read(f)))
      .reduce((a, b) => a + b, 0);
    expect(r.totalGzip).toBe(expected);
    expect(r.problems).toEqual([]);
    expect(formatReport(r)).toMatch(/total, budget 150\.0 KB/);
  });

  it('fails over the budget, naming the figure', () => {
    const read = files({
      'assets/index.js': 10_000,
      'assets/react.js': 150_000,
      'assets/runtime.js': 500,
      'assets/helper.js': 20_000,
    });
    const r = checkBudget(manifest, read);
    expect(r.totalGzip).toBeGreaterThan(150 * 1024);
    expect(r.problems).toEqual([expect.stringMatching(/over the budget of 150\.0 KB/)]);
  });

  it('fails when Ant Design or ECharts code is in the first load, whatever the chunk is called', () => {
    const read = files(
      { 'assets/index.js': 1000, 'assets/react.js': 1000, 'assets/runtime.js': 10, 'assets/helper.js': 1000 },
      {
        'assets/helper.js': 'throw Error(`@ant-design/fast-color: unsupported input `)',
        'assets/index.js': 'var k=`_echarts_instance_`;',
      },
    );
    const r = checkBudget(manifest, read);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        'Ant Design is in assets/helper.js, which the portal loads first',
        'ECharts is in assets/index.js, which the portal loads first',
      ]),
    );
    expect(r.problems).toHaveLength(2);
  });

  it('fails when the workbench entry or its pages are statically imported by the portal', () => {
    const leaky: Manifest = {
      ...manifest,
      'index.html': {
        ...manifest['index.html']!,
        imports: ['_react.js', 'staff.html', 'src/staff/dashboard/DashboardPage.tsx'],
      },
    };
    const read = files({
      'assets/index.js': 100,
      'assets/react.js': 100,
      'assets/runtime.js': 10,
      'assets/staff.js': 100,
      'assets/antd.js': 100,
      'assets/DashboardPage.js': 100,
    });
    const r = checkBudget(leaky, read);
    expect(r.problems).toEqual([
      'the workbench entry (assets/staff.js) is loaded by the portal',
      'workbench code src/staff/dashboard/DashboardPage.tsx (assets/DashboardPage.js) is loaded by the portal',
    ]);
  });

  it('counts JavaScript only (CSS files in the graph are skipped)', () => {
    const withCss: Manifest = {
      'index.html': { file: 'assets/index.js', isEntry: true, imports: ['_style.css'] },
      '_style.css': { file: 'assets/style.css' },
    };
    const r = checkBudget(withCss, files({ 'assets/index.js': 100 }));
    expect(r.chunks.map((c) => c.file)).toEqual(['assets/index.js']);
  });

  it('budgets each first visit too: the entry’s first load plus the page’s chunks, inside the HTML', () => {
    const read = files(
      {
        'assets/index.js': 60_000,
        'assets/react.js': 50_000,
        'assets/runtime.js': 1_000,
        'assets/helper.js': 1_000,
        'assets/GridPage.js': 50_000,
      },
      { 'assets/GridPage.js': '[antd: Table]' },
    );
    const r = checkFirstVisit(manifest, read, ['index.html', 'src/pages/GridPage.tsx']);
    const home = r.pages.find((p) => p.module === 'index.html')!;
    const grid = r.pages.find((p) => p.module === 'src/pages/GridPage.tsx')!;
    expect(grid.gzip - home.gzip).toBeGreaterThan(49_000);
    expect(r.problems).toEqual([
      'Ant Design is in assets/GridPage.js, which a first visit of src/pages/GridPage.tsx carries',
      expect.stringMatching(
        /^a first visit of src\/pages\/GridPage\.tsx carries 1\d\d\.\d KB of gzipped JavaScript, over the budget of 150\.0 KB$/,
      ),
    ]);
  });
});
