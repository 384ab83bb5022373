/**
 * The error catalogue: every code a callguard error (or an actor's error event) carries, with what it means and what
 * the operator does about it. docs/ERRORS.md is generated from this table (`npm run docs:errors`) and a test keeps the
 * two, and every `CG_*` code in the source, in step. This module imports nothing: every layer may use it.
 */
export interface ErrorEntry {
  /** Where it comes from: the part of the engine an operator would look at. */
  readonly area: string;
  readonly meaning: string;
  readonly action: string;
}

export const ERROR_CATALOGUE = {
  // Configuration and start-up
  CG_CONFIG_INVALID: {
    area: 'config',
    meaning:
      'A setting is missing, of the wrong type, out of range or inconsistent with another; the message names the key.',
    action:
      'Fix that key in the config file or its CALLGUARD_* variable; `callguard config --print` prints the ' +
      'resolved configuration.',
  },
  CG_CONFIG_FILE: {
    area: 'config',
    meaning: 'The config file cannot be read or is not valid YAML/JSON.',
    action: 'Check the path in CALLGUARD_CONFIG (or --config), its permissions and its syntax.',
  },
  CG_START_FAILED: {
    area: 'engine',
    meaning:
      'The engine could not start: a port in use or not permitted, an unwritable data directory, a component ' +
      'that failed.',
    action:
      'The message names the setting (sip.port, http.port, data.dir …): free the port or change the setting, ' +
      'then start again.',
  },
  CG_INGEST_OPTIONS: {
    area: 'ingest',
    meaning: 'The SIPREC server was given invalid options (an embedding program, not the config file).',
    action: 'Fix the option the message names.',
  },
  CG_ALLOW_LIST: {
    area: 'ingest',
    meaning: 'An entry of sip.allow is not an IP address or CIDR prefix.',
    action: 'Fix the entry the message quotes.',
  },
  CG_POLICY_CONFIG: {
    area: 'policy',
    meaning: 'A policy.* setting is invalid or inconsistent with another (e.g. hysteresis not below threshold).',
    action: 'Fix the policy key the message names.',
  },
  // Models
  CG_MODEL_MISSING: {
    area: 'model',
    meaning: 'The emotion model directory or one of its files is missing.',
    action:
      'Reinstall (npm ci) or point model.dir at a model directory; model.enabled=false runs on acoustic cues only.',
  },
  CG_MODEL_MISMATCH: {
    area: 'model',
    meaning:
      'The model was built for other front-end settings than the engine runs (the setting is named), or a ' +
      'spotter is not a spotter.',
    action: 'Restore the features.* value the model expects, or use a model built for the current settings.',
  },
  CG_MODEL_INVALID: {
    area: 'model',
    meaning: 'The model manifest or weights cannot be read or parsed.',
    action: 'Reinstall the model directory; do not edit manifest.json by hand.',
  },
  CG_MODEL_FAILED: {
    area: 'actors',
    meaning: 'A worker could not run the model on a batch; the windows go on without emotion probabilities.',
    action: 'Look at the worker log line; repeated, it is a bug: report it with the log.',
  },
  CG_SPEECH_MODEL: {
    area: 'speech',
    meaning: 'The speech-recognition model directory is incomplete.',
    action: 'Reinstall (npm ci) or set speech.modelDir; speech.enabled=false turns spoken content off.',
  },
  CG_ASR_UNAVAILABLE: {
    area: 'speech',
    meaning: 'libpocketsphinx (or koffi) cannot be loaded on this machine.',
    action: 'apt-get install libpocketsphinx3 pocketsphinx-en-us, or speech.enabled=false.',
  },
  CG_ASR_INIT: {
    area: 'speech',
    meaning: 'A recogniser could not be created from the speech model files.',
    action: 'Check the speech model directory and the en-us acoustic model (pocketsphinx-en-us).',
  },
  CG_ASR_DECODE: {
    area: 'speech',
    meaning: "Recognition of one stretch of a leg failed; that leg's recogniser was restarted.",
    action: 'None when rare (counted); repeated, report it with the log.',
  },
  CG_INTENT_LEXICON: {
    area: 'speech',
    meaning: 'A phrase of the intent lexicon does not parse.',
    action: 'Fix the phrase the message quotes (build-time: models/speech).',
  },
  CG_SENDUMP: {
    area: 'speech',
    meaning: 'A PocketSphinx sendump (mixture weights) file is malformed.',
    action: 'Rebuild the adaptation (npm run build:speech-adaptation) from the Debian en-us model.',
  },
  // Calls and actors
  CG_TOO_MANY_CALLS: {
    area: 'calls',
    meaning: 'engine.maxCalls calls are already analysed; the new call is answered 503.',
    action: 'Raise engine.maxCalls if the box has headroom (docs/capacity), or add engines behind the dispatcher.',
  },
  CG_DUPLICATE_CALL: {
    area: 'calls',
    meaning: 'A call with this id is already being analysed.',
    action: 'None: the SBC retried; the first call goes on.',
  },
  CG_BAD_CALL: {
    area: 'calls',
    meaning: 'A call was described with no legs, too many legs or an unsupported sample rate.',
    action: 'A bug in the caller of the supervisor: report it.',
  },
  CG_NOT_RUNNING: {
    area: 'calls',
    meaning: 'A call arrived while the supervisor was not running (starting or closing).',
    action: 'None during start or shutdown; otherwise check /readyz.',
  },
  CG_SLAB_CORRUPT: {
    area: 'actors',
    meaning: "A call's shared-memory state failed its consistency check; the call is failed.",
    action: 'Report it with the log line (a bug, never caused by input).',
  },
  CG_SLAB_UNKNOWN: {
    area: 'actors',
    meaning:
      'A worker was given a call it holds no shared-memory handles for (new or restarted worker); nothing was ' +
      "stepped, and the supervisor sends the handles with the call's next task.",
    action: 'None: internal and self-correcting, never counted as a failure.',
  },
  CG_ACTOR_EXCEPTION: {
    area: 'actors',
    meaning: "A leg's signal processing threw; the leg restarted from fresh state and the chunk was dropped.",
    action: 'None when rare (callguard_actor_errors_total); repeated, report it.',
  },
  CG_POLICY_EXCEPTION: {
    area: 'actors',
    meaning: "The call's risk policy threw; it restarted for that call, alerts already raised are kept.",
    action: 'Report it with the log line.',
  },
  CG_POLICY_STATE: {
    area: 'policy',
    meaning: 'The policy was stepped on state from another layout or not initialised (a programming error).',
    action: 'Report it.',
  },
  CG_POLICY_INPUT: {
    area: 'policy',
    meaning: 'The policy was given a leg or role it does not know (a programming error).',
    action: 'Report it.',
  },
  // Subscribers, files, captures
  CG_BAD_MSISDN: {
    area: 'subscribers',
    meaning: 'A number is not E.164 (+ then 7–15 digits).',
    action: 'Send the number as +CC…; spaces, dashes, dots and brackets are ignored.',
  },
  CG_BAD_LANGUAGE: {
    area: 'subscribers',
    meaning: 'A subscriber language has no SMS template.',
    action: 'Use one of the template languages (smpp/templates) or add one.',
  },
  CG_BAD_CSV: {
    area: 'subscribers',
    meaning: 'An import file is not the expected CSV (msisdn[,language]).',
    action: 'Fix the row the message names.',
  },
  CG_TOO_MANY_ROWS: {
    area: 'subscribers',
    meaning: 'An import has more rows than one request takes (10,000).',
    action: 'Split the file.',
  },
  CG_BAD_FILE: {
    area: 'cli',
    meaning: 'A file given on the command line cannot be read.',
    action: 'Check the path and its permissions.',
  },
  CG_WAV_EMPTY: { area: 'files', meaning: 'The audio file is empty.', action: 'Give a WAV file with audio.' },
  CG_WAV_NOT_WAV: {
    area: 'files',
    meaning: 'The file is not RIFF/WAVE.',
    action: 'Convert it: sox in.x -r 8000 -c 1 out.wav.',
  },
  CG_WAV_TRUNCATED: {
    area: 'files',
    meaning: 'A chunk of the WAV file runs past its end.',
    action: 'Re-export the file; it was cut.',
  },
  CG_WAV_UNSUPPORTED: {
    area: 'files',
    meaning: 'The WAV encoding, sample size or rate is not one analyse reads (PCM 16-bit, A-law, µ-law; 8–48 kHz).',
    action: 'Convert it with sox or ffmpeg.',
  },
  CG_WAV_NO_DATA: { area: 'files', meaning: 'The WAV file has no data chunk.', action: 'Re-export the file.' },
  // The store (lmdb, or PostgreSQL shared by several engines)
  CG_STORE_OPEN: {
    area: 'store',
    meaning:
      'store.url is set but PostgreSQL cannot be reached, refused the login, or holds a newer schema than this ' +
      'release knows; the engine does not start.',
    action:
      'Check the URL (host, port, database, user, password), that PostgreSQL accepts this engine (pg_hba.conf), ' +
      'and upgrade the engine if the schema is newer.',
  },
  CG_STORE_UNAVAILABLE: {
    area: 'store',
    meaning:
      'PostgreSQL stopped answering (connection lost or refused, store.statementTimeoutMs passed). Calls are ' +
      "still analysed; alerts are held, never sent before consent is checked; the admin API's subscriber and " +
      'alert routes answer 503.',
    action:
      'Bring PostgreSQL back (or fail over to the replica); held alerts are decided at once. /readyz and ' +
      'callguard_store_* show the state.',
  },
  CG_CAPTURE_FULL: {
    area: 'capture',
    meaning: 'A debug capture would exceed retention.captureMaxBytes.',
    action: 'Delete old captures or raise the limit.',
  },
  // SMS over SMPP
  CG_SMPP_TIMEOUT: {
    area: 'smpp',
    meaning: 'The SMSC did not answer a request within smpp.responseTimeoutSeconds.',
    action: 'The alert is retried; check the SMSC and the link (callguard_smpp_response_seconds).',
  },
  CG_SMPP_DISCONNECTED: {
    area: 'smpp',
    meaning: 'The link closed while a request was outstanding.',
    action: 'None: the bind reconnects and the alert is retried from the outbox.',
  },
  CG_SMPP_NOT_BOUND: {
    area: 'smpp',
    meaning: 'A send was tried on a bind that is not bound.',
    action: 'Check the SMSC and smpp.url; alerts wait in the outbox.',
  },
  CG_SMPP_WINDOW_FULL: {
    area: 'smpp',
    meaning: 'smpp.window requests are outstanding on the bind.',
    action: 'None (the outbox waits); persistent, raise smpp.window as the SMSC allows.',
  },
  CG_SMPP_BIND_FAILED: {
    area: 'smpp',
    meaning: 'The SMSC refused the bind (credentials, system type, too many binds).',
    action: 'Check system_id/password in smpp.url and smpp.systemType with the SMSC team.',
  },
  CG_SMPP_PARSE: {
    area: 'smpp',
    meaning: 'The SMSC sent bytes that are not a valid PDU; the link is reset.',
    action: 'Counted; repeated, capture the link and ask the SMSC vendor.',
  },
  CG_SMPP_DEAD_LINK: {
    area: 'smpp',
    meaning: 'No traffic or enquire_link_resp for too long; the link is dropped and rebound.',
    action: 'Check the network path to the SMSC.',
  },
  CG_SMPP_CLOSED: {
    area: 'smpp',
    meaning: 'The SMS service was closed while a request was pending.',
    action: 'None at shutdown; pending alerts stay in the outbox.',
  },
  CG_SMPP_CONFIG: {
    area: 'smpp',
    meaning: 'smpp.url or another smpp.* option is invalid.',
    action: 'Fix the option the message names.',
  },
} as const satisfies Record<string, ErrorEntry>;

/** Every code a callguard error carries. */
export type CallguardErrorCode = keyof typeof ERROR_CATALOGUE;

/**
 * Base of every error callguard throws: a stable `code` from the catalogue to branch on (never the message), the
 * setting at fault when there is one, and the underlying `cause`. Subclasses only narrow the code and set `name`.
 */
export class CallguardError<C extends CallguardErrorCode = CallguardErrorCode> extends Error {
  override name = 'CallguardError';
  /** The configuration key at fault (e.g. `sip.port`), when one is. */
  readonly setting?: string;

  constructor(
    readonly code: C,
    message: string,
    opts: { setting?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    if (opts.setting !== undefined) this.setting = opts.setting;
  }
}

/** True for codes in the catalogue (actor error events arrive as plain strings from the workers). */
export function isErrorCode(code: string): code is CallguardErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);
}
