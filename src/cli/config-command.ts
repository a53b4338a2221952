// `gecko-collector config --print`: the settings `collect` would run with, each with where it came from (a
// flag, an environment variable, the config file, or the default), secrets masked, and the files they name
// checked (a missing pools file, a database directory that does not exist). Takes collect's flags.

import { displayValue } from '../config/settings.ts';
import { UsageError } from './cli-error.ts';
import { flagOptions, loadSettings } from './cli-settings.ts';
import { COLLECT_BOOLEANS } from './collect-command.ts';
import { collectSpecs } from './collect-specs.ts';
import { type CliIo, type Command, parseFlags } from './command.ts';
import { EXIT_OK, EXIT_USAGE } from './exit-codes.ts';
import { checkSettingFiles, settingFileLines } from './setting-files.ts';

const HELP = `usage: gecko-collector config --print [--json] [--config FILE] [collect flags]

Prints the settings 'gecko-collector collect' would run with given the same flags, environment and config
file, and where each value comes from: a flag, an environment variable, the config file (with the key), or
the default. Precedence: flag > environment variable > config file > default. Secrets (the API key) are
never shown, only whether they are set. Then the files the settings name (the pools file, the database, the
spool or the state directory), each checked read-only: ok, absent (the first run creates it), MISSING or
UNUSABLE. Relative paths are taken from the working directory, as collect takes them.

  --print        print the effective settings (required)
  --json         one JSON object: {config, settings: [{key, value, from, note}], files: [{setting, from, path,
                 state, detail}]}

Exit status: 0; 2 when a flag, variable or the config file has a bad value, or a file they name is missing or
unusable (collect would not start; a line on stderr says which).`;

export const configCommand: Command = {
  name: 'config',
  summary: 'print the effective settings and where each comes from (secrets masked)',
  help: HELP,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      ...flagOptions(collectSpecs({ tty: false }), COLLECT_BOOLEANS),
      print: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (values.print !== true) throw new UsageError('say what to do: config --print');
    const { print: _print, json, ...flags } = values;
    const { settings, file } = loadSettings(collectSpecs({ tty: io.stderr.isTTY === true }), flags);
    const rows = settings.all().map((s) => ({
      key: s.key,
      value: s.value === undefined ? null : s.secret ? '(set, hidden)' : s.value,
      from: s.from,
      ...(s.note ? { note: s.note } : {}),
    }));
    const files = checkSettingFiles(settings);
    const bad = files.filter((f) => f.state === 'missing' || f.state === 'unusable');
    const verdict = () => {
      for (const f of bad)
        io.stderr.write(`gecko-collector config: ${f.from} names ${f.path}: ${f.detail}; collect would not start\n`);
      return bad.length > 0 ? EXIT_USAGE : EXIT_OK;
    };
    if (json) {
      io.stdout.write(`${JSON.stringify({ config: file?.path ?? null, settings: rows, files })}\n`);
      return verdict();
    }
    const all = settings.all();
    const keyWidth = Math.max(...all.map((s) => s.key.length)) + 2;
    const valueWidth = Math.min(60, Math.max(...all.map((s) => displayValue(s).length))) + 2;
    const lines = [
      `config file: ${file ? file.path : '(none: --config FILE or GECKO_CONFIG)'}`,
      `${'setting'.padEnd(keyWidth)}${'value'.padEnd(valueWidth)}from`,
      ...all.map(
        (s) => `${s.key.padEnd(keyWidth)}${displayValue(s).padEnd(valueWidth)}${s.from}${s.note ? ` (${s.note})` : ''}`,
      ),
    ];
    lines.push(...settingFileLines(files));
    io.stdout.write(`${lines.join('\n')}\n`);
    return verdict();
  },
};
