import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isGsm7 } from './gsm7.js';
import { countParts } from './message-parts.js';
import { renderAlertText, renderConfirmation } from './templates.js';

const opts = { brand: 'ACME Mobile' };

test('English alert carries the warning, explanation, actions, disclaimer and reply hint', () => {
  const t = renderAlertText({ explanation: 'The caller urged you to pay now' }, opts);
  assert.match(t, /^ACME Mobile WARNING: this call may be a scam\./);
  assert.match(t, 'The caller urged you to pay now.');
  assert.match(t, 'Hang up');
  assert.match(t, /codes/);
  assert.match(t, /bank on a number you know/);
  assert.match(t, /may be wrong/);
  assert.match(t, /NOT SCAM/);
  assert.match(t, /STOP/);
  assert.ok(isGsm7(t));
  assert.ok(countParts(t) <= 2);
});

test('free-text actions (as the policy sends them) read as separate sentences', () => {
  const t = renderAlertText(
    { explanation: 'Caller sounded angry', actions: ['Hang up', 'Do not share codes or pay', 'Call your bank!'] },
    opts,
  );
  assert.match(t, 'Caller sounded angry. Hang up. Do not share codes or pay. Call your bank! Automated warning');
});

test('long and typographic explanations stay GSM-7 within 2 parts, safety notes kept', () => {
  const t = renderAlertText(
    { explanation: '“Urgent” – the caller ' + 'kept pressing for a one-time code and threatened you '.repeat(8) },
    opts,
  );
  assert.ok(isGsm7(t), t);
  assert.ok(countParts(t) <= 2);
  assert.match(t, /Hang up/);
  assert.match(t, /may be wrong/);
  assert.match(t, /STOP/);
});

test('custom language template and fallback to English', () => {
  const es = {
    headline: '{brand} AVISO: esta llamada puede ser una estafa.',
    actions: { 'hang-up': 'Cuelgue.' },
    defaultActions: ['hang-up'],
    disclaimer: 'Aviso automatico, puede equivocarse.',
    replyHint: 'Responda NOT SCAM o STOP.',
    optOutConfirmation: '{brand}: alertas desactivadas.',
    optInConfirmation: '{brand}: alertas activadas.',
  };
  const t = renderAlertText({ language: 'es-ES' }, { ...opts, templates: { es } });
  assert.match(t, /^ACME Mobile AVISO/);
  assert.match(renderAlertText({ language: 'xx' }, opts), /WARNING/);
  assert.match(renderConfirmation('opt-out', opts), /no longer/);
});

test.run();
