// What a network id or pool address may be, since each becomes a segment of an API request's path.

/**
 * A network id or pool address as a path segment: a letter or digit, then letters, digits and `_ . - : ~`. So
 * never `.` or `..` (which a URL resolves to another endpoint), nor a separator, `%`, space or control character.
 */
const PATH_TOKEN = /^[A-Za-z0-9][A-Za-z0-9_.:~-]*$/;

export function isPathToken(value: unknown): value is string {
  return typeof value === 'string' && PATH_TOKEN.test(value);
}
