/**
 * A small non-validating XML parser for rs-metadata documents: elements, attributes, text, CDATA, comments,
 * processing instructions and the five predefined entities plus character references. DOCTYPE is refused outright
 * (no external entities, no entity expansion bombs). Bounded depth and element count; never throws.
 */
export interface XmlElement {
  /** Qualified name as written, e.g. `apkt:callingParty`. */
  readonly name: string;
  /** Name without prefix, e.g. `callingParty`: vendors differ in prefixes, not in local names. */
  readonly local: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** Concatenated direct text content, trimmed. */
  text: string;
}

export type XmlResult =
  | { ok: true; root: XmlElement }
  | { ok: false; code: 'XML_MALFORMED' | 'XML_FORBIDDEN' | 'XML_TOO_LARGE'; detail: string };

const MAX_DEPTH = 32;
const MAX_ELEMENTS = 4000;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string): string | null {
  if (s.indexOf('&') === -1) return s;
  let bad = false;
  const out = s.replace(/&(#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|[A-Za-z]+);?/g, (all, ref: string) => {
    if (!all.endsWith(';')) {
      bad = true;
      return '';
    }
    if (ref[0] === '#') {
      const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!(cp > 0 && cp <= 0x10ffff)) {
        bad = true;
        return '';
      }
      return String.fromCodePoint(cp);
    }
    const e = ENTITIES[ref];
    if (e === undefined) bad = true;
    return e ?? '';
  });
  return bad ? null : out;
}

export function parseXml(text: string): XmlResult {
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let count = 0;
  let i = 0;
  const n = text.length;
  const fail = (detail: string): XmlResult => ({ ok: false, code: 'XML_MALFORMED', detail });
  while (i < n) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt === -1 ? n : lt);
    if (chunk.trim()) {
      const top = stack[stack.length - 1];
      if (!top) return fail('text outside the root element');
      const decoded = decodeEntities(chunk);
      if (decoded === null) return fail('bad entity reference');
      top.text += decoded;
    }
    if (lt === -1) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end === -1) return fail('unterminated comment');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      if (end === -1) return fail('unterminated CDATA');
      const top = stack[stack.length - 1];
      if (!top) return fail('CDATA outside the root element');
      top.text += text.slice(i + 9, end);
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      return { ok: false, code: 'XML_FORBIDDEN', detail: 'DOCTYPE and declarations are not accepted' };
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end === -1) return fail('unterminated processing instruction');
      i = end + 2;
    } else if (text.startsWith('</', i)) {
      const end = text.indexOf('>', i);
      if (end === -1) return fail('unterminated end tag');
      const name = text.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top || top.name !== name) return fail(`mismatched end tag </${name.slice(0, 40)}>`);
      top.text = top.text.trim();
      i = end + 1;
    } else {
      const tag = readTag(text, i);
      if (!tag) return fail('malformed start tag');
      if (++count > MAX_ELEMENTS) return { ok: false, code: 'XML_TOO_LARGE', detail: 'too many elements' };
      const colon = tag.name.indexOf(':');
      const el: XmlElement = {
        name: tag.name,
        local: colon === -1 ? tag.name : tag.name.slice(colon + 1),
        attrs: tag.attrs,
        children: [],
        text: '',
      };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) return fail('more than one root element');
      else root = el;
      if (!tag.selfClosing) {
        stack.push(el);
        if (stack.length > MAX_DEPTH) return { ok: false, code: 'XML_TOO_LARGE', detail: 'nesting too deep' };
      }
      i = tag.end;
    }
  }
  if (stack.length) return fail(`unclosed element <${stack[stack.length - 1].name}>`);
  if (!root) return fail('no root element');
  return { ok: true, root };
}

function readTag(
  text: string,
  start: number,
): { name: string; attrs: Record<string, string>; selfClosing: boolean; end: number } | null {
  let i = start + 1;
  const nameMatch = /^[^\s/>]+/.exec(text.slice(i, i + 256));
  if (!nameMatch || !NAME_RE.test(nameMatch[0])) return null;
  const name = nameMatch[0];
  i += name.length;
  const attrs: Record<string, string> = Object.create(null);
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) return null;
    if (text[i] === '>') return { name, attrs, selfClosing: false, end: i + 1 };
    if (text[i] === '/' && text[i + 1] === '>') return { name, attrs, selfClosing: true, end: i + 2 };
    const am = /^([A-Za-z_][A-Za-z0-9_.:-]*)\s*=\s*(["'])/.exec(text.slice(i, i + 300));
    if (!am) return null;
    const quote = am[2];
    const valueStart = i + am[0].length;
    const valueEnd = text.indexOf(quote, valueStart);
    if (valueEnd === -1) return null;
    const raw = text.slice(valueStart, valueEnd);
    if (raw.indexOf('<') !== -1) return null;
    const value = decodeEntities(raw);
    if (value === null) return null;
    attrs[am[1]] = value;
    i = valueEnd + 1;
  }
}

/** Direct children with a given local name. */
export function childrenNamed(el: XmlElement, local: string): XmlElement[] {
  return el.children.filter((c) => c.local === local);
}

/** First descendant (depth-first) with a given local name. */
export function findDescendant(el: XmlElement, local: string): XmlElement | null {
  for (const c of el.children) {
    if (c.local === local) return c;
    const d = findDescendant(c, local);
    if (d) return d;
  }
  return null;
}
