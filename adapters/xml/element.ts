/** The element tree both roads of the parser build (parse.ts: saxes; fast.ts: the common subset). */
import type { RequestLimits } from '../types.js';

export interface XmlAttribute {
  /** Qualified name as written (`wsu:Id`). */
  name: string;
  local: string;
  prefix: string;
  /** Namespace URI; '' for unprefixed attributes. */
  uri: string;
  value: string;
}

export interface XmlElement {
  /** Qualified name as written (`soap:Envelope`). */
  name: string;
  local: string;
  prefix: string;
  /** Namespace URI; '' when in no namespace. */
  uri: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** The element's own character data (text and CDATA, concatenated, not trimmed). */
  text: string;
  /** Source position of the start tag's end (1-based line, 0-based column as saxes counts). */
  line: number;
  column: number;
}

/** The XML-related subset of RequestLimits. */
export type XmlLimits = Pick<
  RequestLimits,
  'xmlMaxDepth' | 'xmlMaxElements' | 'xmlMaxAttributes' | 'xmlMaxAttributeLength' | 'xmlMaxTextLength'
> &
  Partial<Pick<RequestLimits, 'maxBodyBytes'>>;
