// Reading a trade time back: the API's ISO form or the stored `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) as milliseconds.

const LEGACY = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?$/;

/** Milliseconds since epoch of an ISO (`...Z`) or stored (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC) timestamp; NaN if neither. */
export function timestampMs(value: string): number {
  const legacy = LEGACY.exec(value);
  if (legacy) return Date.parse(`${legacy[1]}T${legacy[2]}${(legacy[3] ?? '').slice(0, 4)}Z`);
  return Date.parse(value);
}
