/**
 * Job and machine ads as printed by `condor_q`/`condor_history`/`condor_status` with `-json` or `-xml`.
 * Values keep their ClassAd type where JSON can carry it; an expression that is not a literal becomes
 * `{ expr: '...' }`, `undefined` becomes null.
 */
import { XMLParser } from 'fast-xml-parser';

export type AdValue = string | number | boolean | null | { expr: string } | AdValue[] | ClassAd;
export interface ClassAd {
  [attr: string]: AdValue;
}

const EXPR = /^\/Expr\(([\s\S]*)\)\/$/;

function decodeJsonValue(v: unknown): AdValue {
  if (typeof v === 'string') {
    const m = EXPR.exec(v);
    return m ? { expr: m[1] ?? '' } : v;
  }
  if (Array.isArray(v)) return v.map(decodeJsonValue);
  if (v !== null && typeof v === 'object') {
    const out: ClassAd = {};
    for (const [k, x] of Object.entries(v)) out[k] = decodeJsonValue(x);
    return out;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  return null;
}

/** `-json` output: a JSON array of ads; zero matching ads prints nothing at all. */
export function parseAdsJson(text: string): ClassAd[] {
  if (text.trim() === '') return [];
  const raw: unknown = JSON.parse(text);
  if (!Array.isArray(raw)) throw new Error('expected a JSON array of ClassAds');
  return raw.map((ad) => decodeJsonValue(ad) as ClassAd);
}

/** `-jsonl` output (condor_history): one compact ad per line. */
export function parseAdsJsonl(text: string): ClassAd[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => decodeJsonValue(JSON.parse(l)) as ClassAd);
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => name === 'c' || name === 'a' || name === 'l',
  processEntities: true,
});

type XmlNode = Record<string, unknown>;

function xmlText(node: unknown): string {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object' && '#text' in node) return String((node as XmlNode)['#text']);
  return '';
}

function decodeXmlValue(a: XmlNode): AdValue {
  if ('i' in a) return Number.parseInt(xmlText(a.i), 10);
  if ('r' in a) return Number.parseFloat(xmlText(a.r));
  if ('s' in a) return xmlText(a.s);
  if ('b' in a) return (a.b as XmlNode)['@v'] === 't';
  if ('un' in a) return null;
  if ('er' in a) return { expr: 'error' };
  if ('e' in a) return { expr: xmlText(a.e) };
  if ('at' in a) return xmlText(a.at);
  if ('rt' in a) return xmlText(a.rt);
  if ('c' in a) return decodeXmlAd((a.c as XmlNode[])[0] ?? {});
  if ('l' in a) {
    const list = (a.l as XmlNode[])[0] ?? {};
    return Object.entries(list).flatMap(([tag, v]) =>
      (Array.isArray(v) ? v : [v]).map((x) => decodeXmlValue({ [tag]: x })),
    );
  }
  return null;
}

function decodeXmlAd(c: XmlNode): ClassAd {
  const ad: ClassAd = {};
  for (const a of (c.a as XmlNode[] | undefined) ?? []) {
    const name = a['@n'];
    if (typeof name === 'string') ad[name] = decodeXmlValue(a);
  }
  return ad;
}

/** `-xml` output: header and footer always present, one `<c>` per ad. */
export function parseAdsXml(text: string): ClassAd[] {
  if (text.trim() === '') return [];
  const doc = xml.parse(text) as XmlNode;
  const root = doc.classads as XmlNode | string | undefined;
  if (root === undefined) throw new Error('expected a <classads> document');
  if (typeof root === 'string') return [];
  return ((root.c as XmlNode[] | undefined) ?? []).map(decodeXmlAd);
}

export function adString(ad: ClassAd, attr: string): string | undefined {
  const v = ad[attr];
  return typeof v === 'string' ? v : undefined;
}

export function adNumber(ad: ClassAd, attr: string): number | undefined {
  const v = ad[attr];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
