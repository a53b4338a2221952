// The one scrubber of server text: masks the API key in whatever an API server sent (a body before anything
// parses, cuts or stores it; a Location; a connection error's text), so a server that echoes the request's
// headers cannot get the key into a log line, an error, an ack or a stored row.

/** What stands where the key stood: safe inside a JSON string, a URL and a log line. */
export const SECRET_MASK = '[api-key]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class SecretScrubber {
  /** Every spelling of the key looked for, any letter case (percent-encoding's hex digits come in both). */
  private readonly pattern: RegExp | undefined;

  constructor(secret: string | undefined) {
    if (secret === undefined || secret === '') return;
    const spellings = new Set([
      secret,
      encodeURIComponent(secret),
      encodeURI(secret),
      JSON.stringify(secret).slice(1, -1),
    ]);
    this.pattern = new RegExp([...spellings].map(escapeRegExp).join('|'), 'gi');
  }

  /** The text with the key, literal or URL- or JSON-escaped, replaced by SECRET_MASK. */
  text(text: string): string {
    return this.pattern === undefined ? text : text.replace(this.pattern, SECRET_MASK);
  }

  /**
   * A response body, scrubbed before it is parsed: besides `text`, a key spelled with JSON escapes (`\u0043G-…`)
   * that only parsing would reveal. Only a body with a backslash can hide one; it is then re-serialized, and only
   * when the decoded document holds the key.
   */
  body(body: string): string {
    const pattern = this.pattern;
    if (pattern === undefined) return body;
    const scrubbed = this.text(body);
    if (!scrubbed.includes('\\')) return scrubbed;
    let canonical: string;
    try {
      canonical = JSON.stringify(JSON.parse(scrubbed));
    } catch {
      // Not JSON (its excerpt is shown as text, already scrubbed), or too deep to re-serialize.
      return scrubbed;
    }
    return canonical.search(pattern) === -1 ? scrubbed : this.text(canonical);
  }
}
