import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScripts, speak, type EvalScript } from '../../models/speech/eval/evaluate-content.js';
import { parseWav, type WavAudio } from '../../engine/media/wav-reader.js';

/** One held-out script (models/speech/eval/scripts.json) by id. */
export function script(id: string): EvalScript {
  const s = loadScripts().find((x) => x.id === id);
  if (!s) throw new Error(`no script ${id} in scripts.json`);
  return s;
}

/**
 * Sentences spoken by a TTS voice through G.711 µ-law at 8 kHz: the decoded WAV and the raw µ-law bytes (for sipp).
 */
export function spokenCall(sentences: string[], voice = 'flite:awb'): { audio: WavAudio; ulaw: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'callguard-tts-'));
  try {
    const wav = join(dir, 'call.wav');
    speak(sentences, voice, wav, dir);
    const raw = join(dir, 'call.ul');
    execFileSync('sox', [wav, '-t', 'raw', '-e', 'mu-law', '-b', '8', raw]);
    return { audio: parseWav(readFileSync(wav)), ulaw: readFileSync(raw) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fails with an install hint when a tool the spoken-content tests need is missing (they do not skip). */
export function requireSpeechTools(): void {
  for (const [cmd, pkg] of [
    ['flite', 'flite'],
    ['sox', 'sox'],
    ['espeak-ng', 'espeak-ng'],
  ]) {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`]);
    } catch {
      throw new Error(`${cmd} is not installed: apt-get install -y ${pkg} (CI .ci/run does this)`);
    }
  }
}
