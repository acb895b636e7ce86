import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, categoryTree, normaliseField, request, setCsrfToken } from './api.ts';

function answer(status: number, body: unknown) {
  return vi.fn(
    async (_url: string, _init?: RequestInit) =>
      new Response(body === undefined ? null : JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json' },
      }),
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken(null);
});

describe('api client', () => {
  it('turns the server error body into an ApiError with field messages', async () => {
    vi.stubGlobal(
      'fetch',
      answer(400, {
        error: {
          code: 'VALIDATION',
          message: '请求参数有误',
          details: [{ field: '/body/phone', message: '手机号格式不正确' }],
        },
        requestId: 'req-1',
      }),
    );
    const err = await api.otpRequest('123').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect([e.status, e.code, e.message, e.requestId]).toEqual([400, 'VALIDATION', '请求参数有误', 'req-1']);
    expect(e.fieldErrors()).toEqual({ phone: '手机号格式不正确' });
  });

  it('reports a network failure in Chinese', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')));
    const err = (await api.health().catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('NETWORK_ERROR');
    expect(err.message).toBe('网络连接失败，请检查网络后重试');
  });

  it('gives a message when a proxy answers with HTML', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('<html>Bad gateway</html>', { status: 502 })),
    );
    const err = (await api.health().catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('HTTP_502');
    expect(err.message.length).toBeGreaterThan(0);
  });

  it('keeps the CSRF token from sign-in and sends it on writes only', async () => {
    const user = {
      id: 1,
      username: 'u',
      displayName: 'U',
      role: 'admin',
      org: { id: 1, name: 'x', kind: 'county', scopeRootId: 1 },
    };
    const fetchMock = answer(200, { user, csrfToken: 'tok' });
    vi.stubGlobal('fetch', fetchMock);
    await api.login('u', 'p');
    const loginInit = fetchMock.mock.calls[0]![1]!;
    expect(loginInit.credentials).toBe('same-origin');
    expect((loginInit.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(JSON.parse(loginInit.body as string)).toEqual({ username: 'u', password: 'p' });

    const next = answer(204, undefined);
    vi.stubGlobal('fetch', next);
    await request('GET', '/api/x');
    await api.logout();
    const getHeaders = next.mock.calls[0]![1]!.headers as Record<string, string>;
    const postHeaders = next.mock.calls[1]![1]!.headers as Record<string, string>;
    expect(getHeaders['X-CSRF-Token']).toBeUndefined();
    expect(postHeaders['X-CSRF-Token']).toBe('tok');
    expect(postHeaders['Accept-Language']).toBe('zh-CN');
    // A body-less POST must not claim a JSON body (Fastify rejects an empty JSON body).
    expect(postHeaders['Content-Type']).toBeUndefined();
  });

  it('normalises field paths', () => {
    expect(['phone', '/phone', 'body.phone', '/body/phone'].map(normaliseField)).toEqual([
      'phone',
      'phone',
      'phone',
      'phone',
    ]);
  });

  it('reads the public category tree as { groups } or { items }', async () => {
    const tree = [{ code: 'CJ', name: '城乡建设', nameEn: 'Construction', children: [] }];
    vi.stubGlobal('fetch', answer(200, { groups: tree }));
    expect((await api.publicCategories('appeal')).items).toEqual(tree);
    vi.stubGlobal('fetch', answer(200, { items: tree }));
    expect((await api.publicCategories('appeal')).items).toEqual(tree);
  });

  it('builds the event category tree from the staff list', () => {
    const row = (id: string, parentId: string | null, caseTypes: string[], active = true) => ({
      id,
      parentId,
      name: id,
      nameEn: `${id}-en`,
      caseTypes,
      active,
    });
    const tree = categoryTree(
      [
        row('CJ', null, ['appeal', 'event']),
        row('CJ01', 'CJ', ['appeal', 'event']),
        row('CJ02', 'CJ', ['appeal']),
        row('CJ03', 'CJ', ['event'], false),
        row('JY', null, ['appeal']),
        row('JY01', 'JY', ['appeal']),
        row('GA', null, ['event']),
      ],
      'event',
    );
    expect(tree).toEqual([
      {
        code: 'CJ',
        name: 'CJ',
        nameEn: 'CJ-en',
        children: [{ code: 'CJ01', name: 'CJ01', nameEn: 'CJ01-en' }],
      },
      { code: 'GA', name: 'GA', nameEn: 'GA-en', children: [] },
    ]);
  });
});
