import http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quietLog } from '../../test/support/engine-fixtures.js';
import { HttpApi, HttpError, RawResponse } from './http-api.js';

async function withApi(
  setup: (api: HttpApi) => void,
  run: (base: string, api: HttpApi) => Promise<void>,
  allowedHosts: string[] = [],
) {
  const api = new HttpApi('127.0.0.1', 0, quietLog, { allowedHosts });
  setup(api);
  await api.start();
  try {
    await run(`http://127.0.0.1:${api.address().port}`, api);
  } finally {
    await api.close();
  }
}

test('routes: path parameters, methods (405), HEAD, raw responses, JSON errors', async () => {
  await withApi(
    (api) => {
      api.get('/items/:id', (_r, _u, ctx) => ({ id: ctx.params.id }));
      api.delete('/items/:id', (_r, _u, ctx) => {
        throw new HttpError(404, 'NOPE', `no ${ctx.params.id}`);
      });
      api.post('/echo', (_r, _u, ctx) => new RawResponse(201, ctx.body, 'text/plain'), {
        maxBodyBytes: 10,
        accepts: ['text/plain'],
      });
      api.get('/boom', () => {
        throw new Error('secret stack');
      });
    },
    async (base, api) => {
      let r = await fetch(`${base}/items/%2B33612345678`);
      assert.equal(await r.json(), { id: '+33612345678' });
      r = await fetch(`${base}/items/+33612345678`, { method: 'DELETE' });
      assert.equal([r.status, ((await r.json()) as any).error.code], [404, 'NOPE']);
      r = await fetch(`${base}/items/x`, { method: 'PUT' });
      assert.is(r.status, 405);
      r = await fetch(`${base}/items`);
      assert.is(r.status, 404);
      r = await fetch(`${base}/items/x`, { method: 'HEAD' });
      assert.is(r.status, 200);
      assert.is(await r.text(), '');
      r = await fetch(`${base}/echo`, { method: 'POST', body: 'hello' });
      assert.equal([r.status, r.headers.get('content-type'), await r.text()], [201, 'text/plain', 'hello']);
      r = await fetch(`${base}/echo`, { method: 'POST', body: 'much too long a body' });
      assert.equal([r.status, ((await r.json()) as any).error.code], [413, 'BODY_TOO_LARGE']);
      r = await fetch(`${base}/boom`);
      const text = await r.text();
      assert.is(r.status, 500);
      assert.not.match(text, 'secret stack');
      assert.is(api.errors, 1);
    },
  );
});

test('protected routes fail closed without an authorizer and pass only what the authorizer accepts', async () => {
  await withApi(
    (api) => api.get('/secret', () => ({ ok: true }), { auth: true }),
    async (base, api) => {
      let r = await fetch(`${base}/secret`, { headers: { authorization: 'Bearer anything' } });
      assert.is(r.status, 401);
      api.setAuthorizer((req) => {
        if (req.headers.authorization !== 'Bearer good') throw new HttpError(401, 'UNAUTHORIZED', 'no');
      });
      r = await fetch(`${base}/secret`, { headers: { authorization: 'Bearer bad' } });
      assert.equal([r.status, r.headers.get('www-authenticate')], [401, 'Bearer realm="callguard"']);
      r = await fetch(`${base}/secret`, { headers: { authorization: 'Bearer good' } });
      assert.equal(await r.json(), { ok: true });
      assert.is(api.unauthorized, 1);
    },
  );
});

/** A GET with a Host header of our choosing (fetch will not send a forged one). */
function getWithHost(
  base: string,
  path: string,
  host: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('Host check (DNS rebinding): IP literals, localhost, configured names pass; others get 421, counted', async () => {
  await withApi(
    (api) => api.get('/metrics', () => ({ secret: 'numbers' })),
    async (base, api) => {
      const port = new URL(base).port;
      for (const host of [
        `127.0.0.1:${port}`,
        '127.0.0.1',
        `localhost:${port}`,
        'LOCALHOST',
        `[::1]:${port}`,
        '10.1.2.3:8080',
        `callguard.noc.example:${port}`,
      ]) {
        const r = await getWithHost(base, '/metrics', host);
        assert.is(r.status, 200, host);
      }
      for (const host of [
        `attacker.example:${port}`,
        'rebind.127.0.0.1.nip.io',
        '127.0.0.1.evil.example',
        '[not-an-ip]:80',
      ]) {
        const r = await getWithHost(base, '/metrics', host);
        assert.is(r.status, 421, `Host ${JSON.stringify(host)}`);
        assert.not.match(r.body, 'numbers');
        assert.is(JSON.parse(r.body).error.code, 'HOST_NOT_ALLOWED');
      }
      assert.is(api.hostRefused, 4);
    },
    ['callguard.noc.example'],
  );
});

test('bodies: JSON by default, CSV where a route says so; another or no Content-Type gets 415; nosniff', async () => {
  await withApi(
    (api) => {
      api.post('/json', (_r, _u, ctx) => ({ got: JSON.parse(ctx.body) }));
      api.post('/csv', (_r, _u, ctx) => ({ lines: ctx.body.split('\n').length }), { accepts: ['text/csv'] });
      api.post('/nobody', () => ({ ok: true }));
    },
    async (base, api) => {
      let r = await fetch(`${base}/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: '{"a":1}',
      });
      assert.equal(
        [r.status, r.headers.get('x-content-type-options'), await r.json()],
        [200, 'nosniff', { got: { a: 1 } }],
      );
      // fetch sends text/plain: a CORS-simple request
      r = await fetch(`${base}/json`, { method: 'POST', body: '{"a":1}' });
      assert.equal([r.status, ((await r.json()) as any).error.code], [415, 'UNSUPPORTED_MEDIA_TYPE']);
      r = await fetch(`${base}/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1',
      });
      assert.is(r.status, 415);
      r = await fetch(`${base}/csv`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a\nb' });
      assert.equal([r.status, await r.json()], [200, { lines: 2 }]);
      r = await fetch(`${base}/csv`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
      assert.is(r.status, 415);
      r = await fetch(`${base}/nobody`, { method: 'POST' });
      assert.is(r.status, 200, 'a POST without a body needs no Content-Type');
      r = await fetch(`${base}/missing`);
      assert.is(r.headers.get('x-content-type-options'), 'nosniff', 'errors too');
      assert.is(api.unsupportedMedia, 3);
    },
  );
});

test('lifecycle: idempotent start() and close(); a failed listen leaves it idle; closed stays closed', async () => {
  const api = new HttpApi('127.0.0.1', 0, quietLog);
  assert.is(api.state, 'idle');
  await Promise.all([api.start(), api.start()]);
  assert.is(api.state, 'running');
  const taken = new HttpApi('127.0.0.1', api.address().port, quietLog);
  try {
    await taken.start();
    assert.unreachable('the port is taken');
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'EADDRINUSE');
  }
  assert.is(taken.state, 'idle');
  await Promise.all([api.close(), api.close(), taken.close()]);
  assert.equal([api.state, taken.state], ['closed', 'closed']);
  await api.start();
  assert.is(api.state, 'closed');
});

test.run();
