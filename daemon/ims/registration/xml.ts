// A very small XML reader for the reginfo documents of RFC 3680: elements, attributes and text,
// namespace prefixes stripped to local names, comments/PIs/CDATA/DOCTYPE handled, the five
// predefined entities and numeric character references decoded. Not a validating parser.
import { ReginfoError } from './errors.js';

export interface XmlElement {
  /** local name (prefix removed) */
  name: string;
  /** attributes by local name */
  attributes: Map<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    const v = ENTITIES[e];
    if (v === undefined) throw new ReginfoError(`unknown XML entity ${m}`);
    return v;
  });
}

const local = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

export function parseXml(text: string): XmlElement {
  let i = 0;
  const n = text.length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (why: string): never => {
    throw new ReginfoError(`malformed XML at offset ${i}: ${why}`);
  };
  while (i < n) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? n : lt);
    if (stack.length > 0) stack[stack.length - 1]!.text += decode(chunk);
    else if (chunk.trim() !== '') fail('text outside the root element');
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      const e = text.indexOf('?>', i);
      if (e < 0) fail('unterminated processing instruction');
      i = e + 2;
    } else if (text.startsWith('<!--', i)) {
      const e = text.indexOf('-->', i);
      if (e < 0) fail('unterminated comment');
      i = e + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const e = text.indexOf(']]>', i);
      if (e < 0) fail('unterminated CDATA');
      if (stack.length > 0) stack[stack.length - 1]!.text += text.slice(i + 9, e);
      i = e + 3;
    } else if (text.startsWith('<!', i)) {
      const e = text.indexOf('>', i);
      if (e < 0) fail('unterminated declaration');
      i = e + 1;
    } else if (text.startsWith('</', i)) {
      const m = /^<\/([^\s>]+)\s*>/.exec(text.slice(i));
      if (!m) fail('bad end tag');
      const open = stack.pop();
      if (!open || open.name !== local(m![1]!)) fail(`end tag </${m![1]}> does not match`);
      i += m![0].length;
    } else {
      const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(text.slice(i));
      if (!m) fail('bad start tag');
      const el: XmlElement = { name: local(m![1]!), attributes: new Map(), children: [], text: '' };
      for (const a of m![2]!.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        el.attributes.set(local(a[1]!), decode(a[2] ?? a[3] ?? ''));
      }
      if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
      else if (root) fail('second root element');
      else root = el;
      if (m![3] !== '/') stack.push(el);
      i += m![0].length;
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]!.name}> not closed`);
  if (!root) fail('no root element');
  return root!;
}

export const childrenNamed = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c) => c.name === name);
