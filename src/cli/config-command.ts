// `gecko-collector config --print`: the settings `collect` would run with, each with where it came from (a
// flag, an environment variable, the config file, or the default), secrets masked. Takes collect's flags.

import { displayValue } from '../config/settings.ts';
import { UsageError } from './cli-error.ts';
import { collectSpecs, flagOptions, loadSettings } from './cli-settings.ts';
import { COLLECT_BOOLEANS } from './collect-command.ts';
import { type CliIo, type Command, parseFlags } from './command.ts';
import { EXIT_OK } from './exit-codes.ts';

const HELP = `usage: gecko-collector config --print [--json] [--config FILE] [collect flags]

Prints the settings 'gecko-collector collect' would run with given the same flags, environment and config
file, and where each value comes from: a flag, an environment variable, the config file (with the key), or
the default. Precedence: flag > environment variable > config file > default. Secrets (the API key) are
never shown, only whether they are set.

  --print        print the effective settings (required)
  --json         one JSON object: {config, settings: [{key, value, from, note}]}

Exit status: 0, or 2 when a flag, variable or the config file has a bad value (the message says which).`;

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
    if (json) {
      io.stdout.write(`${JSON.stringify({ config: file?.path ?? null, settings: rows })}\n`);
      return EXIT_OK;
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
    io.stdout.write(`${lines.join('\n')}\n`);
    return EXIT_OK;
  },
};
