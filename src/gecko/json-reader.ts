// Typed reads of an untrusted JSON:API body: each read either returns the value or throws a
// GeckoTerminalError that names the resource and the exact JSON path, so a bad reply is diagnosable from logs.

import { isDecimalString } from '../trades/decimal-string.ts';
import { kindOf, previewJson } from '../trades/value-preview.ts';
import { GeckoTerminalError } from './gecko-errors.ts';
import { countPageText } from './page-item-count.ts';

/**
 * More items than any GeckoTerminal page holds (trades: 300; pools: 20 a page, 30 by address): such a body is
 * refused whole before any item is read (a large one before it is parsed), so a 4 MiB body of tiny junk items
 * costs no per-item work or memory.
 */
export const MAX_PAGE_ITEMS = 1000;
/**
 * Values a page body may hold, wherever they are (an item's members, lists inside it): 100 an item (a 300-trade
 * page holds ~5,400, a page of 20 pools with its tokens and dexes ~1,700).
 */
export const MAX_PAGE_VALUES = MAX_PAGE_ITEMS * 100;
/**
 * Bodies longer than this are counted in their text before JSON.parse (a 300-trade page is ~300 KB). A shorter
 * one cannot hold enough values to matter (JSON.parse of 512 KiB of `{},` builds ~175 k objects).
 */
const COUNT_ITEMS_ABOVE_CHARS = 512 * 1024;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function preview(value: unknown): string {
  if (value === undefined) return 'undefined';
  return `${previewJson(value, 60)} (${kindOf(value)})`;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export class JsonReader {
  /** `resource` reads like `trades of pool solana_<address>`. */
  constructor(readonly resource: string) {}

  fail(path: string | undefined, problem: string, cause?: unknown): never {
    const where = path === undefined ? 'body' : path;
    throw new GeckoTerminalError(
      `malformed GeckoTerminal response for ${this.resource}: ${where} ${problem}`,
      this.resource,
      path,
      cause === undefined ? undefined : { cause },
    );
  }

  parse(body: string): unknown {
    // A body far larger than any page is counted in its text first: JSON.parse would build every junk item.
    if (body.length > COUNT_ITEMS_ABOVE_CHARS) {
      const counts = countPageText(body);
      this.checkItemCount(counts.dataItems);
      if (counts.values > MAX_PAGE_VALUES)
        this.fail(undefined, `holds about ${counts.values} JSON values, more than ${MAX_PAGE_VALUES} (no page does)`);
    }
    try {
      return JSON.parse(body);
    } catch (err) {
      const start = body.slice(0, 40).replace(/\s+/g, ' ');
      return this.fail(undefined, `is not JSON (${body.length} bytes starting ${JSON.stringify(start)})`, err);
    }
  }

  private field(obj: Record<string, unknown>, path: string, key: string): unknown {
    if (!Object.hasOwn(obj, key)) this.fail(join(path, key), 'is missing');
    return obj[key];
  }

  object(value: unknown, path: string | undefined): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, `must be an object, got ${preview(value)}`);
    }
    return value as Record<string, unknown>;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, `must be an array, got ${preview(value)}`);
    return value;
  }

  /** A page's `data` list, within MAX_PAGE_ITEMS. */
  pageItems(root: Record<string, unknown>): unknown[] {
    const data = this.arrayAt(root, '', 'data');
    this.checkItemCount(data.length);
    return data;
  }

  private checkItemCount(items: number): void {
    if (items > MAX_PAGE_ITEMS)
      this.fail('data', `has ${items} items, more than ${MAX_PAGE_ITEMS} (a GeckoTerminal page holds at most 300)`);
  }

  objectAt(obj: Record<string, unknown>, path: string, key: string): Record<string, unknown> {
    return this.object(this.field(obj, path, key), join(path, key));
  }

  arrayAt(obj: Record<string, unknown>, path: string, key: string): unknown[] {
    return this.array(this.field(obj, path, key), join(path, key));
  }

  string(obj: Record<string, unknown>, path: string, key: string): string {
    const value = this.field(obj, path, key);
    if (typeof value !== 'string' || value === '')
      this.fail(join(path, key), `must be a non-empty string, got ${preview(value)}`);
    return value;
  }

  optionalString(obj: Record<string, unknown>, path: string, key: string): string | null {
    const value = obj[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') this.fail(join(path, key), `must be a string or null, got ${preview(value)}`);
    return value;
  }

  decimal(obj: Record<string, unknown>, path: string, key: string): string {
    const value = this.field(obj, path, key);
    if (!isDecimalString(value))
      this.fail(join(path, key), `must be a non-negative decimal string, got ${preview(value)}`);
    return value;
  }

  integer(obj: Record<string, unknown>, path: string, key: string): number {
    const value = this.field(obj, path, key);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.fail(join(path, key), `must be a non-negative integer, got ${preview(value)}`);
    }
    return value;
  }

  isoTimestamp(obj: Record<string, unknown>, path: string, key: string): string {
    const value = this.field(obj, path, key);
    if (typeof value !== 'string' || !ISO_UTC.test(value) || Number.isNaN(Date.parse(value))) {
      this.fail(join(path, key), `must be an ISO 8601 UTC timestamp ending in Z, got ${preview(value)}`);
    }
    return value;
  }

  oneOf<T extends string>(obj: Record<string, unknown>, path: string, key: string, allowed: readonly T[]): T {
    const value = this.field(obj, path, key);
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(join(path, key), `must be one of ${allowed.join('/')}, got ${preview(value)}`);
    }
    return value as T;
  }
}
