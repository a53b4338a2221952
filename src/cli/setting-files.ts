// The files a run's settings name, checked read-only the way `collect` will use them: the pools file must be
// readable, the database a gecko-collector (or Python collector) file or creatable, the spool's directory
// usable. `config --print` lists them and says what is missing before a service fails to start on it.

import fs from 'node:fs';
import path from 'node:path';
import { databasePathFromUrl } from '../config/database-url.ts';
import { isPostgresUrl } from '../config/postgres-url.ts';
import { type ResolvedSettings, settingName } from '../config/settings.ts';
import { stateDirectory } from '../config/state-directory.ts';
import { fileErrorReason } from '../import/import-errors.ts';
import { checkDatabaseFile } from '../storage/sqlite/database-file-check.ts';

export interface SettingFile {
  /** The setting's key (`pools-file`, `db`, `spool`, `state-directory`). */
  setting: string;
  /** Where the setting came from, as messages name it (`watchlist.file in /etc/gecko-collector/config.yaml`). */
  from: string;
  path: string;
  /** `ok`; `created`: absent, the first run creates it; `missing` or `unusable`: collect cannot start on it. */
  state: 'ok' | 'created' | 'missing' | 'unusable';
  /** What is wrong, or what will happen (`the first run creates it in /var/lib/gecko-collector`). */
  detail: string;
}

function directoryProblem(dir: string): string | null {
  try {
    if (!fs.statSync(dir).isDirectory()) return `${dir} is not a directory`;
    fs.accessSync(dir, fs.constants.W_OK);
    return null;
  } catch (err) {
    return `directory ${dir}: ${fileErrorReason(err)}`;
  }
}

function readableFile(file: string): Pick<SettingFile, 'state' | 'detail'> {
  try {
    if (!fs.statSync(file).isFile()) return { state: 'unusable', detail: 'not a regular file' };
    fs.accessSync(file, fs.constants.R_OK);
    return { state: 'ok', detail: 'readable' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { state: code === 'ENOENT' ? 'missing' : 'unusable', detail: fileErrorReason(err) };
  }
}

/** A file to be created in `dir` by the first run: fine when the directory takes files, else why not. */
function creatableIn(dir: string, what: string): Pick<SettingFile, 'state' | 'detail'> {
  if (!fs.existsSync(dir)) return { state: 'missing', detail: `its directory ${dir} does not exist` };
  const problem = directoryProblem(dir);
  return problem ? { state: 'unusable', detail: problem } : { state: 'created', detail: `${what} ${dir}` };
}

function databaseFile(file: string): Pick<SettingFile, 'state' | 'detail'> {
  if (!fs.existsSync(file)) return creatableIn(path.dirname(file), 'the first run creates it in');
  try {
    const kind = checkDatabaseFile(file);
    return { state: 'ok', detail: kind === 'python-collector' ? "the Python collector's database" : kind };
  } catch (err) {
    return { state: 'unusable', detail: (err as Error).message };
  }
}

/** Each file the settings name, with its state; relative paths resolve against `cwd`, as collect's do. */
export function checkSettingFiles(settings: ResolvedSettings, cwd = process.cwd()): SettingFile[] {
  const out: SettingFile[] = [];
  const add = (setting: string, file: string, check: Pick<SettingFile, 'state' | 'detail'>) => {
    const entry = settings.entry(setting);
    out.push({ setting, from: entry ? settingName(entry) : 'default', path: file, ...check });
  };
  const poolsFile = settings.get<string>('pools-file');
  if (poolsFile !== undefined) {
    const file = path.resolve(cwd, poolsFile);
    add('pools-file', file, readableFile(file));
  }
  const url = settings.get<string>('db');
  const spool = settings.get<string>('spool');
  if (url !== undefined && !isPostgresUrl(url)) {
    const file = databasePathFromUrl(url, cwd);
    add('db', file, databaseFile(file));
  } else if (url !== undefined && spool === undefined) {
    const dir = stateDirectory();
    // The run creates it with its parents: what matters is the nearest directory that exists.
    let parent = dir;
    while (!fs.existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
    const check =
      parent === dir
        ? { state: 'ok' as const, detail: 'the spool and the metrics file go here' }
        : creatableIn(parent, 'the first run creates it (for the spool and the metrics file) in');
    out.push({ setting: 'state-directory', from: 'STATE_DIRECTORY, XDG_STATE_HOME or HOME', path: dir, ...check });
  }
  if (spool !== undefined) {
    const file = path.resolve(cwd, spool);
    add(
      'spool',
      file,
      fs.existsSync(file) ? readableFile(file) : creatableIn(path.dirname(file), 'created when needed in'),
    );
  }
  return out;
}

/** One line per file for `config --print`; problems marked so they stand out. */
export function settingFileLines(files: readonly SettingFile[]): string[] {
  if (files.length === 0) return [];
  const keyWidth = Math.max(...files.map((f) => f.setting.length)) + 2;
  const mark: Record<SettingFile['state'], string> = {
    ok: 'ok',
    created: 'absent',
    missing: 'MISSING',
    unusable: 'UNUSABLE',
  };
  return [
    'files the settings name:',
    ...files.map((f) => `  ${f.setting.padEnd(keyWidth)}${mark[f.state]}: ${f.path} (${f.detail}; from ${f.from})`),
  ];
}
