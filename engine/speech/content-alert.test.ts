import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AlertEvent } from '../../actors/actor-events.js';
import { loadPocketSphinx } from '../../actors/speech/pocketsphinx.js';
import { analyzeFile } from '../cli/analyze-command.js';
import { quietLog, testConfig } from '../../test/support/engine-fixtures.js';
import { runSippSiprecCall, sippVersion } from '../../test/support/sipp-runner.js';
import { openConsole } from '../../test/support/console-browser.js';
import { requireSpeechTools, script, spokenCall } from '../../test/support/spoken-audio.js';
import { within } from '../../test/support/within.js';
import { Engine } from '../engine.js';
import { WavWriter } from '../media/wav-writer.js';

// End to end, with sipp as the SBC: a calm voice (TTS) reads a bank-fraud script with a code request and secrecy;
// the engine recognises the caller's leg, and the alert SMS names the ask. No words in it, nothing stored.
const dir = mkdtempSync(join(tmpdir(), 'cg-content-'));
const TOKEN = 'content-test-token';

function prerequisites() {
  if (!sippVersion()) assert.unreachable('sipp is not installed: apt-get install -y sip-tester (CI .ci/run does this)');
  const ps = loadPocketSphinx();
  if ('error' in ps) assert.unreachable(ps.error);
  requireSpeechTools();
}

const sippAsTheSbcTitle =
  'sipp as the SBC: a calm bank-fraud script over SIPREC alerts on what was said, the SMS explains the ask, and ' +
  'the console in Chromium lists the intents of the live call';
test(sippAsTheSbcTitle, async () => {
  prerequisites();
  const c = testConfig();
  const base = 39000 + (process.pid % 100) * 20;
  const engine = new Engine(
    {
      ...c,
      sip: { ...c.sip, port: 0 },
      http: { ...c.http, port: 0, token: TOKEN },
      rtp: { ...c.rtp, portMin: base, portMax: base + 19 },
      smpp: { ...c.smpp, simulatorPort: 0 },
      data: { dir },
    },
    quietLog,
  );
  await engine.start();
  let browser: Awaited<ReturnType<typeof openConsole>>['browser'] | null = null;
  try {
    assert.ok(engine.speech.enabled, `speech on: ${engine.speech.stats().reason}`);
    const ui = await openConsole(`http://127.0.0.1:${engine.http.address().port}/`, TOKEN);
    browser = ui.browser;
    const { audio, ulaw } = spokenCall(script('scam-bank-code').sentences, 'flite:awb');
    const alert = new Promise<AlertEvent>((r) => engine.supervisor.on('alert', (_id: string, ev: AlertEvent) => r(ev)));
    const sipp = runSippSiprecCall(engine.siprec.server.address().port, ulaw, {
      holdMs: audio.durationSeconds * 1000 + 2000,
    });
    const ev = await within(alert, audio.durationSeconds * 1000 + 15000, 'content alert');
    assert.is(ev.basis, 'content');
    assert.match(ev.explanation, /asked for a code/);
    assert.ok(ev.t < audio.durationSeconds + 2, `alert at ${ev.t} s of a ${audio.durationSeconds.toFixed(1)} s call`);
    // The call is still up (sipp holds it 2 s past its audio): its row lists the intents heard, names only.
    const row = await ui.page.waitForSelector('#calls tr[data-call-id]:has-text("ask.code")', { timeout: 10000 });
    const text = (await row.textContent()) ?? '';
    assert.not.match(text, /verification|number back/i, 'no recognised words in the console');
    assert.equal(ui.pageErrors, []);
    const { code, output } = await within(sipp, audio.durationSeconds * 1000 + 30000, 'sipp call');
    assert.is(code, 0, output.slice(-1000));
    const { port } = engine.http.address();
    let body = '';
    for (let i = 0; i < 50 && !body.includes('asked for a code'); i++) {
      body = await (
        await fetch(`http://127.0.0.1:${port}/alerts`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text();
      if (!body.includes('asked for a code')) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(body, /asked for a code/, 'the alert record carries the explanation');
    assert.not.match(body, /verification|number back/i, 'no recognised words in the alert record');
    const stats = engine.speech.stats();
    assert.ok((stats.intents['ask.code'] ?? 0) >= 1, JSON.stringify(stats.intents));
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /callguard_speech_intents_total\{intent="ask\.code"\} [1-9]/);
    assert.match(metrics, /callguard_speech_slots\{state="free"\} 4/, 'the slot is free again after the call');
    assert.match(metrics, /callguard_speech_enabled 1/);
  } finally {
    await browser?.close();
    await engine.close();
  }
});

test('analyze: a benign dentist reminder with a door code, read by another voice, gives no alert', async () => {
  prerequisites();
  const { audio } = spokenCall(script('benign-dentist-door-code').sentences, 'flite:kal');
  const wav = join(dir, 'benign.wav');
  const out = new WavWriter(wav, 8000);
  out.write(audio.channels[0]);
  out.close();
  const r = await analyzeFile(wav, { ...testConfig(), model: { ...testConfig().model, enabled: false } }, quietLog);
  assert.ok(r.intents !== null, `recognition ran (${r.speechOff})`);
  assert.equal(r.alerts, [], `intents ${r.intents!.map((i) => i.intent).join(', ')}`);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
