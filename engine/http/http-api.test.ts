import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quietLog } from '../../test/support/engine-fixtures.js';
import { HttpApi, HttpError, RawResponse } from './http-api.js';

async function withApi(setup: (api: HttpApi) => void, run: (base: string, api: HttpApi) => Promise<void>) {
  const api = new HttpApi('127.0.0.1', 0, quietLog);
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
      api.post('/echo', (_r, _u, ctx) => new RawResponse(201, ctx.body, 'text/plain'), { maxBodyBytes: 10 });
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

test.run();
