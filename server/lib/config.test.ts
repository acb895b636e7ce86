import { describe, expect, it } from 'vitest';
import { createTestEnv } from '../../test/context.ts';
import { loadConfig } from './config.ts';

describe('configuration from the environment', () => {
  it('has defaults that run the demo without any setting', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      countyCode: '360121',
      mapTileUrl: undefined,
      databaseUrl: undefined,
    });
  });

  it('takes a map tile URL with {z}/{x}/{y} and refuses anything else at start', () => {
    const url = 'https://tiles.example.cn/{z}/{x}/{y}.png';
    expect(loadConfig({ MAP_TILE_URL: url, MAP_TILE_ATTRIBUTION: '© 示例' })).toMatchObject({
      mapTileUrl: url,
      mapTileAttribution: '© 示例',
    });
    expect(() => loadConfig({ MAP_TILE_URL: 'https://tiles.example.cn/{z}/{x}.png' })).toThrow(
      /MAP_TILE_URL/,
    );
    expect(() => loadConfig({ MAP_TILE_URL: 'javascript:alert(1)//{z}{x}{y}' })).toThrow(/MAP_TILE_URL/);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT/);
  });

  it('tells the web app the tile URL through GET /api/public/config (null when none)', async () => {
    const env = await createTestEnv();
    try {
      const res = await env.app.inject({ method: 'GET', url: '/api/public/config' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ countyCode: '360121', mapTileUrl: null, mapTileAttribution: '' });
      env.ctx.config.mapTileUrl = 'https://t.example/{z}/{x}/{y}.png';
      const tiled = await env.app.inject({ method: 'GET', url: '/api/public/config' });
      expect(tiled.json().mapTileUrl).toBe('https://t.example/{z}/{x}/{y}.png');
    } finally {
      await env.close();
    }
  });
});
