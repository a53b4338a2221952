// doctor's pool-set section: when each pool joined the collected set and when it left (pool_membership), the
// latest changes first, two short lines a pool so that long pool ids fit a terminal.

import type { MembershipReport } from '../storage/doctor-sections.ts';

/** `2026-12-07 18:02:11` from the stored `2026-12-07 18:02:11.123000`. */
function minuteText(stored: string): string {
  return stored.slice(0, 19);
}

export function membershipSection(r: { membership?: readonly MembershipReport[] }): string[] {
  const rows = r.membership ?? [];
  if (rows.length === 0) return [];
  const open = rows.filter((m) => m.leftAt === null).length;
  return [
    `pool set (latest changes first): ${open} in, ${rows.length - open} left`,
    ...rows.flatMap((m) => [
      `  ${m.poolId}`,
      `    ${m.source.padEnd(9)} joined ${minuteText(m.joinedAt)}${m.leftAt ? `  left ${minuteText(m.leftAt)}` : ''}`,
    ]),
  ];
}
