// A log record on a terminal: one line with the time in the display format, the level, the component, the
// message and its fields as key=value; errors as type, message and code; no JSON.
import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../../src/cli/log-line.ts';

describe('formatLogLine', () => {
  it('puts a warning and its key fields on one readable line', () => {
    const line = formatLogLine(
      {
        level: 40,
        time: Date.parse('2026-12-07T17:40:03.456Z'),
        pid: 1,
        name: 'gecko-collector',
        component: 'collector',
        msg: 'throttled by GeckoTerminal',
        poolId: 'solana_A',
        retryAfterMs: 1500,
        reason: 'rate limit hit',
        gap: { gapStart: '2026-12-07T17:39:00Z', tradesInResponse: 300 },
        err: {
          type: 'GeckoApiError',
          message: 'HTTP 429',
          code: 'RATE_LIMITED',
          stack: 'GeckoApiError: HTTP 429\n  at x',
        },
      },
      { colors: false, withStacks: false },
    );
    expect(line).toBe(
      '2026-12-07 17:40:03Z WARN  collector: throttled by GeckoTerminal poolId=solana_A retryAfterMs=1500 ' +
        'reason="rate limit hit" gap.gapStart=2026-12-07T17:39:00Z gap.tradesInResponse=300 ' +
        'err="GeckoApiError: HTTP 429 [RATE_LIMITED]"',
    );
    expect(line).not.toContain('{');
  });

  it('colours the level only when asked, and adds the stack at debug', () => {
    const record = { level: 50, time: 0, msg: 'failed', err: { message: 'boom', stack: 'Error: boom\n  at y' } };
    expect(formatLogLine(record, { colors: true, withStacks: false })).toBe(
      '1970-01-01 00:00:00Z \x1b[31mERROR\x1b[0m failed err=boom',
    );
    expect(formatLogLine(record, { colors: false, withStacks: true })).toBe(
      '1970-01-01 00:00:00Z ERROR failed err=boom\nError: boom\n  at y',
    );
  });
});
