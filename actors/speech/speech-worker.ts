/**
 * A recognition thread: hosts up to `slots` leg recognisers (each a PocketSphinx decoder, native state pinned to this
 * thread). The engine's speech service opens a slot with a leg's audio ring (ringbuf.js PCM16 over a
 * SharedArrayBuffer: producer the ingest thread, consumer this thread) and closes it when the call ends or the slot
 * is given to another call. Every `pumpMs` the thread drains each ring into its recogniser and posts the intents
 * heard: names, times and confidences only. Words leave the thread only when the service asked for them (never in
 * the engine).
 *
 * Messages in:  init { model, slots, pumpMs, maxUtteranceSeconds } | open { slot, key, ring, inputRate, startSeconds }
 *               | close { slot, flush } | shutdown | crash (test hook)
 * Messages out: ready { slots } | failed { code, message } | intents { slot, key, intents } | closed { slot, key }
 *               | slot-error { slot, key, code, message }
 */
import { parentPort } from 'node:worker_threads';
import { RingBuffer } from 'ringbuf.js';
import { IntentMatcher } from './intent-matcher.js';
import { LegRecogniser, type SpeechModelFiles } from './leg-recogniser.js';
import { loadPocketSphinx, type PocketSphinx } from './pocketsphinx.js';

export interface SpeechWorkerInit {
  type: 'init';
  model: SpeechModelFiles;
  slots: number;
  pumpMs: number;
  maxUtteranceSeconds: number;
}
export interface SpeechWorkerOpen {
  type: 'open';
  slot: number;
  /** The service's name for what the slot serves (call id and leg). */
  key: string;
  ring: SharedArrayBuffer;
  inputRate: number;
  startSeconds: number;
}

interface Slot {
  key: string;
  ring: RingBuffer;
  rec: LegRecogniser;
}

const port = parentPort;
if (port) {
  let ps: PocketSphinx | null = null;
  let model: SpeechModelFiles | null = null;
  let maxUtt = 8;
  const matcher = new IntentMatcher();
  const slots: Array<Slot | null> = [];
  let buf = new Int16Array(1600);
  let pumpTimer: NodeJS.Timeout | null = null;

  const closeSlot = (i: number, flush: boolean) => {
    const s = slots[i];
    if (!s) return;
    try {
      if (flush) {
        drain(i, s);
        const last = s.rec.finish();
        if (last.length) port.postMessage({ type: 'intents', slot: i, key: s.key, intents: last });
      }
    } finally {
      s.rec.close();
      slots[i] = null;
      port.postMessage({
        type: 'closed',
        slot: i,
        key: s.key,
        audioSeconds: s.rec.audioSeconds,
        words: s.rec.words,
        utterances: s.rec.utterances,
      });
    }
  };

  const drain = (i: number, s: Slot) => {
    let avail = s.ring.availableRead();
    while (avail > 0) {
      const n = Math.min(avail, buf.length);
      s.ring.pop(buf, n);
      const heard = s.rec.feed(buf, 0, n);
      if (heard.length) port.postMessage({ type: 'intents', slot: i, key: s.key, intents: heard });
      avail -= n;
    }
  };

  const pump = () => {
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      if (!s) continue;
      try {
        drain(i, s);
      } catch (err) {
        const e = err as { code?: string; message?: string };
        port.postMessage({
          type: 'slot-error',
          slot: i,
          key: s.key,
          code: e.code ?? 'CG_ASR_DECODE',
          message: String(e.message ?? err),
        });
        try {
          s.rec.close();
        } catch {
          // the decoder is gone either way
        }
        slots[i] = null;
      }
    }
  };

  port.on(
    'message',
    (
      msg:
        | SpeechWorkerInit
        | SpeechWorkerOpen
        | { type: 'close'; slot: number; flush: boolean }
        | { type: 'shutdown' | 'crash' },
    ) => {
      if (msg.type === 'shutdown') {
        // Free the decoders and let the thread end by itself: a thread terminated from outside while inside a native
        // call aborts the whole process (N-API cannot throw during termination), so the service asks rather than
        // terminates.
        for (let i = 0; i < slots.length; i++) slots[i]?.rec.close();
        slots.fill(null);
        if (pumpTimer) clearInterval(pumpTimer);
        port.close(); // nothing else keeps the thread alive: it ends on its own
        return;
      } else if (msg.type === 'crash') {
        // Test hook: an uncaught exception, as a bug in this thread would raise.
        setImmediate(() => {
          throw new Error('injected recognition thread crash');
        });
      } else if (msg.type === 'init') {
        const lib = loadPocketSphinx();
        if ('error' in lib) {
          port.postMessage({ type: 'failed', code: 'CG_ASR_UNAVAILABLE', message: lib.error });
          return;
        }
        ps = lib;
        model = msg.model;
        maxUtt = msg.maxUtteranceSeconds;
        slots.length = msg.slots;
        slots.fill(null);
        try {
          // Load the model once now, so a bad model directory fails at start-up and not on the first call.
          lib.decoder({ ...model }).close();
        } catch (err) {
          port.postMessage({
            type: 'failed',
            code: (err as { code?: string }).code ?? 'CG_ASR_INIT',
            message: (err as Error).message,
          });
          return;
        }
        pumpTimer = setInterval(pump, msg.pumpMs);
        port.postMessage({ type: 'ready', slots: msg.slots });
      } else if (msg.type === 'open') {
        if (!ps || !model) return;
        if (slots[msg.slot]) closeSlot(msg.slot, false);
        try {
          const rec = new LegRecogniser(ps, model, matcher, {
            inputRate: msg.inputRate,
            startSeconds: msg.startSeconds,
            maxUtteranceSeconds: maxUtt,
          });
          slots[msg.slot] = { key: msg.key, ring: new RingBuffer(msg.ring, Int16Array), rec };
          if (buf.length < msg.inputRate / 5) buf = new Int16Array(msg.inputRate / 5);
        } catch (err) {
          const e = err as { code?: string; message?: string };
          port.postMessage({
            type: 'slot-error',
            slot: msg.slot,
            key: msg.key,
            code: e.code ?? 'CG_ASR_INIT',
            message: String(e.message ?? err),
          });
        }
      } else if (msg.type === 'close') {
        closeSlot(msg.slot, msg.flush);
      }
    },
  );
}
