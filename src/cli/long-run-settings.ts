// The settings of a collector that runs for months: how its pool set follows the market (collect; a pools file
// read as a usage error on bad input), and how old trades are pruned (prune, and collect on a schedule: retention.*).

import { SettingError } from '../config/setting-error.ts';
import type { ResolvedSettings, SettingSpec } from '../config/settings.ts';
import { intValue, secondsValue, textValue } from '../config/value-parsers.ts';
import type { CollectionOptions } from '../run/collection-options.ts';
import { POOL_SET_DEFAULTS } from '../run/pool-set-options.ts';
import { type PoolsFileList, readPoolsFile } from '../run/pools-file.ts';
import { UsageError } from './cli-error.ts';

export const PRUNE_EVERY_DEFAULT_S = 6 * 3600;

export function poolSetSpecs(): SettingSpec[] {
  return [
    {
      key: 'new-pools',
      file: ['collection.new_pools'],
      parse: intValue(1, 200),
      describe: "also the network's N newest pools",
    },
    {
      key: 'refresh-pools',
      env: 'GECKO_REFRESH_POOLS',
      file: ['collection.refresh_pools'],
      parse: secondsValue(0, 7 * 86_400),
      fallback: () => ({ value: POOL_SET_DEFAULTS.refreshPoolsMs / 1000 }),
      describe: 'seconds between two fetches of the top/new lists (0: never)',
    },
    {
      key: 'pool-grace',
      env: 'GECKO_POOL_GRACE',
      file: ['collection.pool_grace'],
      parse: secondsValue(0, 30 * 86_400),
      fallback: () => ({ value: POOL_SET_DEFAULTS.poolGraceMs / 1000 }),
      describe: 'seconds a pool that left the top/new list is still collected',
    },
  ];
}

/** `--older-than` and `--archive` of prune, read from the same keys collect's schedule reads. */
export function retentionSpecs(): SettingSpec[] {
  return [
    {
      key: 'older-than',
      env: 'GECKO_PRUNE_OLDER_THAN',
      file: ['retention.older_than'],
      parse: secondsValue(86_400, 100 * 365 * 86_400),
      describe: 'prune: trades of UTC days older than this go (30d; collect prunes on a schedule when set)',
    },
    {
      key: 'archive',
      env: 'GECKO_PRUNE_ARCHIVE',
      file: ['retention.archive_dir'],
      parse: textValue('a directory', (s) => s !== ''),
      describe: 'prune: where each day is written first as trades-YYYY-MM-DD.parquet',
    },
    {
      key: 'prune-every',
      flag: false,
      file: ['retention.every'],
      parse: secondsValue(60, 30 * 86_400),
      fallback: () => ({ value: PRUNE_EVERY_DEFAULT_S }),
      describe: 'collect: how often it prunes when retention.older_than is set',
    },
  ];
}

/** The pools file, its errors as usage errors (exit 2). */
export function poolsFromFile(file: string, network: string, from: string): PoolsFileList & { poolsFile: string } {
  try {
    return { ...readPoolsFile(file, network, from), poolsFile: file };
  } catch (err) {
    if (err instanceof SettingError) throw new UsageError(err.message);
    throw err;
  }
}

/** Retention on a schedule, when retention.older_than (or --older-than) is set. */
export function retentionOf(s: ResolvedSettings): Pick<CollectionOptions, 'retention'> {
  const olderThan = s.get<number>('older-than');
  if (olderThan === undefined) {
    if (s.given('archive'))
      throw new UsageError(`${s.entry('archive')!.from} needs --older-than (retention.older_than)`);
    return {};
  }
  const archiveDir = s.get<string>('archive');
  return {
    retention: {
      olderThanMs: Math.round(olderThan * 1000),
      everyMs: Math.round(s.get<number>('prune-every')! * 1000),
      ...(archiveDir !== undefined ? { archiveDir } : {}),
    },
  };
}
