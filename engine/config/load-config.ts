import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type CallguardConfig } from './config-schema.js';
import { CallguardError } from '../../common/errors.js';

/** A configuration problem, with the key it concerns; the CLI prints it as one line and exits non-zero. */
export class ConfigError extends CallguardError<'CG_CONFIG_INVALID' | 'CG_CONFIG_FILE'> {
  override name = 'ConfigError';
}

const ENV_PREFIX = 'CALLGUARD_';

/** camelCase key → UPPER_SNAKE, as used in environment variable names. */
export function envName(section: string, key: string): string {
  return ENV_PREFIX + section.toUpperCase() + '_' + key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

type Shape = Record<string, z.ZodType>;

function sectionShapes(): Record<string, Shape> {
  const out: Record<string, Shape> = {};
  const outer =
    (configSchema as unknown as { def: { in?: z.ZodObject } }).def.in ?? (configSchema as unknown as z.ZodObject);
  for (const [section, schema] of Object.entries((outer as z.ZodObject).shape)) {
    let s: any = schema;
    while (s && !s.shape && s.def?.innerType) s = s.def.innerType;
    if (s?.shape) out[section] = s.shape as Shape;
  }
  return out;
}

/** Defaults of every key, used to decide how an environment string is read (number, boolean, list or text). */
function defaults(): CallguardConfig {
  return configSchema.parse({});
}

function coerce(raw: string, like: unknown, name: string): unknown {
  if (typeof like === 'number') {
    const n = Number(raw.trim());
    if (raw.trim() === '' || !Number.isFinite(n))
      throw new ConfigError('CG_CONFIG_INVALID', `${name}: expected a number, got "${raw}"`);
    return n;
  }
  if (typeof like === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw.trim())) return true;
    if (/^(0|false|no|off)$/i.test(raw.trim())) return false;
    throw new ConfigError('CG_CONFIG_INVALID', `${name}: expected true or false, got "${raw}"`);
  }
  if (Array.isArray(like))
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return raw;
}

/** Values set by CALLGUARD_* environment variables; unknown CALLGUARD_ names are reported, not ignored. */
export function configFromEnv(env: NodeJS.ProcessEnv): Record<string, Record<string, unknown>> {
  const base = defaults() as unknown as Record<string, Record<string, unknown>>;
  const known = new Map<string, [string, string]>();
  for (const [section, shape] of Object.entries(sectionShapes()))
    for (const key of Object.keys(shape)) known.set(envName(section, key), [section, key]);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const hit = known.get(name);
    if (!hit) {
      if (name === 'CALLGUARD_CONFIG') continue;
      throw new ConfigError('CG_CONFIG_INVALID', `${name}: unknown setting (see docs/CONFIGURATION.md)`);
    }
    const [section, key] = hit;
    (out[section] ??= {})[key] = coerce(value, base[section][key], name);
  }
  return out;
}

function readFileConfig(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('CG_CONFIG_FILE', `config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      'CG_CONFIG_FILE',
      `config file ${path}: not ` +
        `valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  if (parsed == null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError('CG_CONFIG_FILE', `config file ${path}: top level must be a mapping of sections`);
  // A section whose keys are all commented out (`engine:`) parses as null: it means "defaults".
  const out = { ...(parsed as Record<string, unknown>) };
  for (const [k, v] of Object.entries(out)) if (v === null) out[k] = {};
  return out;
}

function merge(a: Record<string, any>, b: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = { ...a };
  for (const [k, v] of Object.entries(b))
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' ? merge(out[k], v) : v;
  return out;
}

/** Defaults ← config file ← environment, validated; throws ConfigError naming the key and what is allowed. */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv } = {}): CallguardConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.CALLGUARD_CONFIG;
  const fromFile = file ? readFileConfig(file) : {};
  const merged = merge(fromFile, configFromEnv(env));
  const res = configSchema.safeParse(merged);
  if (!res.success) {
    const issue = res.error.issues[0];
    const key = issue.path.join('.');
    const what =
      issue.code === 'unrecognized_keys' ? `unknown setting(s) ${(issue as any).keys.join(', ')}` : issue.message;
    throw new ConfigError('CG_CONFIG_INVALID', `config ${key || '(top level)'}: ${what}`);
  }
  return res.data;
}

/** The configuration with secrets masked, for logs and `config --print`. */
export function redactConfig(c: CallguardConfig): CallguardConfig {
  const copy = structuredClone(c);
  copy.smpp.url = copy.smpp.url.replace(/(s?smpp:\/\/[^:@/]*:)[^@]*@/g, '$1***@');
  copy.store.url = copy.store.url.replace(/(postgres(?:ql)?:\/\/[^:@/]*:)[^@]*@/g, '$1***@');
  return copy;
}
