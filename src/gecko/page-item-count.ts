// Counts the items of a body's top-level `data` list, and its values, from its text, building nothing: JSON.parse
// of 4 MiB of `{},{},…` builds 1.4 M objects (hundreds of MB per collector thread) before a count could refuse it.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Index of the quote that ends the string opened at `open`, or -1 when it never ends. */
function stringEnd(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  while (end !== -1) {
    let slashes = 0;
    while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return -1;
}

/** Whether the string token `text[open … end]` reads as `data` (escapes decoded, as JSON.parse would). */
function isDataKey(text: string, open: number, end: number): boolean {
  if (end - open === 5) return text.startsWith('data', open + 1);
  // Escaped, `data` takes at most 4 × 6 characters (`\u0064…`).
  if (end - open > 25 || !text.slice(open, end).includes('\\')) return false;
  try {
    return JSON.parse(text.slice(open, end + 1)) === 'data';
  } catch {
    return false;
  }
}

/** What JSON.parse would build of a body, counted in its text. */
export interface PageTextCounts {
  /**
   * The largest item count of a `data` list directly in the root object (a repeated key counts too, though
   * JSON.parse keeps the last), or 0 when there is none.
   */
  dataItems: number;
  /** Commas and opening brackets, anywhere: about the number of values (each item, member, list or object). */
  values: number;
}

/**
 * Counts `text` without building anything. Not a validation: on text that is not JSON the counts may be anything,
 * and JSON.parse then refuses the body.
 */
export function countPageText(text: string): PageTextCounts {
  let values = 0;
  let depth = 0;
  let rootIsObject = false;
  // The last string at depth 1 is the key of the value that follows it.
  let keyIsData = false;
  let counting = false;
  let count = 0;
  let items = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end === -1) break;
      if (depth === 1 && rootIsObject) keyIsData = isDataKey(text, i, end);
      i = end;
    } else if (c === COMMA) {
      values++;
      if (counting && depth === 2) count++;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      values++;
      if (depth === 0) rootIsObject = c === OPEN_OBJECT;
      depth++;
      if (depth === 2 && c === OPEN_ARRAY && keyIsData) {
        counting = true;
        // An empty list has no item; any other has one item more than commas.
        let j = i + 1;
        while (j < text.length && text.charCodeAt(j) <= 0x20) j++;
        count = text.charCodeAt(j) === CLOSE_ARRAY ? 0 : 1;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (counting && depth === 2) {
        counting = false;
        if (count > items) items = count;
      }
      depth--;
    }
  }
  return { dataItems: counting && count > items ? count : items, values };
}
