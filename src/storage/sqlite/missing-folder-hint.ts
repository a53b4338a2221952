// The hint a database path in a folder that does not exist gets, wherever such a path is refused.

import fs from 'node:fs';
import path from 'node:path';

/**
 * A database in a folder that does not exist is most often `sqlite:///abs/path.db` written for
 * `sqlite:////abs/path.db`: three slashes make the path relative to the working directory, as in SQLAlchemy.
 */
export function missingFolderHint(databasePath: string): string {
  const folder = path.dirname(databasePath);
  if (fs.existsSync(folder)) return '';
  const relative = path.relative(process.cwd(), databasePath);
  const meant = `/${relative}`;
  if (!relative.startsWith('..') && fs.existsSync(path.dirname(meant))) {
    return ` (the folder ${folder} does not exist; for ${meant} write sqlite:///${meant}: three slashes name a path relative to the working directory)`;
  }
  return ` (the folder ${folder} does not exist)`;
}
