// Where a store's collection filter is recorded: the last run's --min-volume-usd in `<db>.metrics.json` (the run
// metrics file beside the database, or in the state directory for PostgreSQL).

import { resolveDatabaseConfig, writerSettingsFrom } from '../config/database-config.ts';
import { metricsFilePath, readMetricsFile } from '../run/metrics-file.ts';

/** The last collection run's --min-volume-usd for the store at `url`; null when none is recorded. */
export function recordedMinVolumeUsd(url: string): string | null {
  const settings = writerSettingsFrom(resolveDatabaseConfig({ url }));
  try {
    return readMetricsFile(metricsFilePath(settings.path))?.minVolumeUsd ?? null;
  } catch {
    // An unreadable metrics file records nothing usable; doctor reports it.
    return null;
  }
}
