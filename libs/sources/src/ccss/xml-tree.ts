import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** An element with its namespace resolved, so that checks compare namespaces, not prefixes. */
export interface XmlElement {
  ns: string | undefined;
  local: string;
  children: XmlElement[];
  /** Concatenated text content directly inside the element (trimmed). */
  text: string;
}

// preserveOrder keeps repeated elements and their order, which a SOAP sequence relies on.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  // decodes numeric character references (&#233;), which an XML register may use for any character
  htmlEntities: true,
});

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function toElement(node: OrderedNode, scope: ReadonlyMap<string, string>): XmlElement | null {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (name === undefined || name === '#text' || name.startsWith('?') || name === '#comment') return null;
  const inScope = new Map(scope);
  for (const [attr, value] of Object.entries(node[':@'] ?? {})) {
    if (attr === '@_xmlns') inScope.set('', value);
    else if (attr.startsWith('@_xmlns:')) inScope.set(attr.slice('@_xmlns:'.length), value);
  }
  const colon = name.indexOf(':');
  const prefix = colon < 0 ? '' : name.slice(0, colon);
  const content = (node[name] ?? []) as OrderedNode[];
  const children: XmlElement[] = [];
  let text = '';
  for (const child of content) {
    if ('#text' in child) text += String(child['#text']);
    else {
      const element = toElement(child, inScope);
      if (element !== null) children.push(element);
    }
  }
  return { ns: inScope.get(prefix), local: colon < 0 ? name : name.slice(colon + 1), children, text };
}

/**
 * Parses a document into its root element, or null when it is not well-formed XML, holds a DTD
 * (SOAP forbids one, and refusing it keeps entity expansion out of the parser) or has no single root.
 */
export function parseXmlTree(xml: string): XmlElement | null {
  if (/<!DOCTYPE/i.test(xml) || XMLValidator.validate(xml) !== true) return null;
  const roots = (parser.parse(xml) as OrderedNode[])
    .map((n) => toElement(n, new Map()))
    .filter((e): e is XmlElement => e !== null);
  return roots.length === 1 ? roots[0] : null;
}
