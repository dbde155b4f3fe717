/**
 * Cutting one member out of an object's JSON without parsing it: a Table row carries its object's metadata
 * (PartialObjectMetadata), and the object's JSON is already made once (the registry's `objectJson`), so the
 * row takes the bytes of `"metadata":{…}` from it instead of stringifying the metadata again, managedFields
 * and all, for every row of every list.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * The index just after the JSON string that starts with the quote at `start`, or -1 when it does not end.
 * Jumps from quote to quote (a quote after an odd run of backslashes is inside the string).
 */
function stringEnd(buf: Buffer, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = buf.indexOf(QUOTE, i);
    if (q < 0) return -1;
    let slashes = 0;
    for (let j = q - 1; j > start && buf[j] === BACKSLASH; j--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    i = q + 1;
  }
}

/**
 * The index just after the JSON object or array that opens at `start` (`{` or `[`), or -1 when the bytes end
 * first. The JSON is trusted to be well formed (it is our own encoding).
 */
export function valueEnd(buf: Buffer, start: number): number {
  let depth = 0;
  for (let i = start; i < buf.length; i++) {
    const c = buf[i];
    if (c === QUOTE) {
      const end = stringEnd(buf, i);
      if (end < 0) return -1;
      i = end - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

const HEAD = Buffer.from('{"apiVersion":"');
const KIND = Buffer.from(',"kind":"');
const METADATA = Buffer.from(',"metadata":{');

/**
 * The bytes of the metadata object (`{…}`) in an object's JSON laid out as the registry stores and sends it
 * (`{"apiVersion":"…","kind":"…","metadata":{…},…}`), as a view of `json`; undefined for any other layout,
 * where the caller stringifies the metadata itself.
 */
export function metadataSlice(json: Buffer): Buffer | undefined {
  if (!json.subarray(0, HEAD.length).equals(HEAD)) return undefined;
  const apiVersionEnd = stringEnd(json, HEAD.length - 1);
  if (apiVersionEnd < 0 || !json.subarray(apiVersionEnd, apiVersionEnd + KIND.length).equals(KIND)) return undefined;
  const kindEnd = stringEnd(json, apiVersionEnd + KIND.length - 1);
  if (kindEnd < 0 || !json.subarray(kindEnd, kindEnd + METADATA.length).equals(METADATA)) return undefined;
  const start = kindEnd + METADATA.length - 1;
  const end = valueEnd(json, start);
  return end < 0 ? undefined : json.subarray(start, end);
}
