// The exit codes of gecko-collector, in one place: a service manager (systemd, cron, a shell loop) can tell
// from the code alone whether a run collected, and if not, whose problem it is.

export const EXIT_OK = 0;
/** A failure not covered below: a crash, an internal error, the database in use by another run. */
export const EXIT_FAILURE = 1;
/** A bad flag, config file or environment variable; a --db file that is not ours or cannot be written. */
export const EXIT_USAGE = 2;
/** No API request succeeded: the API unreachable for the whole run, or every pool unknown. */
export const EXIT_NO_API = 3;
/** The API refused the credentials (HTTP 401/403): the run stopped at once. */
export const EXIT_AUTH = 4;
/** The writer could not store what was fetched: those trades are kept in the spool (<db>.spool). */
export const EXIT_STORAGE = 5;
/**
 * Storage failed for good mid-run (the database file deleted or replaced, a disk too full for the spool too): the
 * run stopped polling; fetched trades nothing could keep are lost (the summary counts them).
 */
export const EXIT_STORAGE_LOST = 6;

export const EXIT_CODE_TABLE: readonly (readonly [code: number, meaning: string])[] = [
  [EXIT_OK, 'the run collected as asked (stopped by --duration, SIGINT or SIGTERM)'],
  [EXIT_FAILURE, 'a failure not listed below (a crash, the database in use by another run, ...)'],
  [EXIT_USAGE, 'a bad flag, config file or environment variable; a --db file that is foreign or read-only'],
  [EXIT_NO_API, 'no API request succeeded (API unreachable for the whole run, every pool unknown)'],
  [EXIT_AUTH, 'the API refused the credentials (HTTP 401/403); the run stopped at once'],
  [EXIT_STORAGE, 'fetched trades could not be stored; they are kept in the spool for the next run'],
  [
    EXIT_STORAGE_LOST,
    'storage failed mid-run (database file deleted or replaced, disk too full for the spool): polling stopped',
  ],
];

/** The table as --help prints it. */
export function exitCodeHelp(): string {
  return ['exit status:', ...EXIT_CODE_TABLE.map(([code, meaning]) => `  ${code}  ${meaning}`)].join('\n');
}

/** The exit code of a collection run that ended with this outcome. */
export function exitCodeForOutcome(
  outcome: 'auth-refused' | 'storage-lost' | 'storage-failed' | 'no-api-success' | 'collector-failed' | 'collected',
): number {
  switch (outcome) {
    case 'auth-refused':
      return EXIT_AUTH;
    case 'storage-lost':
      return EXIT_STORAGE_LOST;
    case 'storage-failed':
      return EXIT_STORAGE;
    case 'no-api-success':
      return EXIT_NO_API;
    case 'collector-failed':
      return EXIT_FAILURE;
    case 'collected':
      return EXIT_OK;
  }
}
