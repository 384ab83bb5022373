import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, redactConfig } from '../config/load-config.js';
import { Engine, EngineStartError, drainAndClose } from '../engine.js';
import { createLogger } from '../logger.js';
import { createOpsLogger } from '../ops/ops-logger.js';
import { subscribersCommand } from '../ops/subscribers-command.js';
import { WavError } from '../media/wav-reader.js';
import { ModelSettingsError } from '../model-settings.js';
import { analyzeFile, formatTimeline } from './analyze-command.js';
import { notify, runSmscSimulator } from './sms-commands.js';

const USAGE = `Usage: callguard <command> [options]

Commands:
  serve                     run the engine (SIPREC in, SMS alerts out) until SIGINT/SIGTERM
  analyze <file.wav>        stream a WAV file through the engine and print the per-window timeline
      --json                one JSON object per window and leg (NDJSON) instead of the table
      --words               also print the words that made each spoken intent (your own files only)
  notify --to <msisdn> [--text <t>]
                            queue an SMS alert through the engine's outbox and SMPP sender, wait for the SMSC
      --timeout <s>         how long to wait for the SMSC's acceptance (default 30)
  smsc-sim [--port 2775] [--host 127.0.0.1]
                            run the bundled SMSC simulator (logs every submit_sm) until SIGINT/SIGTERM
  config --print            print the effective configuration (secrets masked)
  subscribers add <+E164> [--language <l>] | remove <+E164> | get <+E164> | import <file.csv>
                            enrol or remove protected subscribers (lmdb under data.dir, or store.url)
  help                      this text

Common options:
  --config FILE             YAML or JSON config file (environment CALLGUARD_<SECTION>_<KEY> overrides it)
  --version                 print the version`;

/** A usage mistake: printed with a pointer to `callguard help`, exit status 2. */
class UsageError extends Error {}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function serve(configFile: string | undefined): Promise<void> {
  const cfg = loadConfig({ file: configFile });
  const log = createOpsLogger(cfg.log.level, cfg.log.maskNumbers);
  const engine = new Engine(cfg, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal skips the rest of the drain.
      log.warn({ signal }, 'second signal: stopping now');
      engine.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
      return;
    }
    stopping = true;
    log.info({ signal, drainSeconds: cfg.engine.drainSeconds }, 'shutting down');
    drainAndClose(engine).then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await engine.start();
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        words: { type: 'boolean' },
        config: { type: 'string' },
        print: { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        to: { type: 'string' },
        text: { type: 'string' },
        timeout: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        language: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`callguard ${version()}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (!command || command === 'help' || values.help) {
    process.stdout.write(USAGE + '\n');
    return command || values.help ? 0 : 2;
  }
  switch (command) {
    case 'serve':
      await serve(values.config);
      return -1; // keeps running until a signal
    case 'analyze': {
      if (rest.length !== 1) throw new UsageError('analyze takes exactly one WAV file');
      const cfg = loadConfig({ file: values.config });
      const log = createLogger(cfg.log.level === 'info' ? 'warn' : cfg.log.level, 2);
      const result = await analyzeFile(rest[0], cfg, log, { words: values.words === true });
      if (values.json) {
        for (const e of result.entries) process.stdout.write(JSON.stringify({ type: 'window', ...e }) + '\n');
        for (const i of result.intents ?? []) process.stdout.write(JSON.stringify({ type: 'intent', ...i }) + '\n');
        for (const a of result.alerts) process.stdout.write(JSON.stringify(a) + '\n');
      } else process.stdout.write(formatTimeline(result).join('\n') + '\n');
      return result.actorErrors ? 1 : 0;
    }
    case 'notify': {
      if (!values.to) throw new UsageError('notify needs --to <msisdn>');
      const timeout = values.timeout === undefined ? 30 : Number(values.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError('--timeout takes a number of seconds');
      const cfg = loadConfig({ file: values.config });
      const r = await notify(
        cfg,
        createOpsLogger(cfg.log.level === 'info' ? 'warn' : cfg.log.level, cfg.log.maskNumbers, 2),
        values.to,
        values.text,
        timeout * 1000,
      );
      process.stdout.write(JSON.stringify(r) + '\n');
      return r.state === 'submitted' ? 0 : 1;
    }
    case 'smsc-sim': {
      const port = values.port === undefined ? 2775 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes a port number');
      const cfg = loadConfig({ file: values.config });
      await runSmscSimulator(createOpsLogger(cfg.log.level, cfg.log.maskNumbers), values.host ?? '127.0.0.1', port);
      return 0;
    }
    case 'config': {
      if (!values.print) throw new UsageError('config takes --print');
      const shown = redactConfig(loadConfig({ file: values.config }));
      if (shown.http.token) shown.http.token = '***';
      process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
      return 0;
    }
    case 'subscribers': {
      const [action, arg] = rest;
      if (!['add', 'remove', 'get', 'import'].includes(action ?? '') || !arg || rest.length !== 2)
        throw new UsageError('subscribers add|remove|get <+E164> or subscribers import <file.csv>');
      const cfg = loadConfig({ file: values.config });
      const r = await subscribersCommand(cfg, action as 'add' | 'remove' | 'get' | 'import', arg, values.language);
      process.stdout.write(JSON.stringify(r.output) + '\n');
      return r.code;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`callguard: ${err.message} (see "callguard help")\n`);
      process.exitCode = 2;
    } else if (
      err instanceof WavError ||
      err instanceof ConfigError ||
      err instanceof ModelSettingsError ||
      err instanceof EngineStartError
    ) {
      process.stderr.write(`callguard: error: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`callguard: internal error: ${(err as Error)?.message ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
