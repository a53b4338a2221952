// PostgreSQL for tests: each test file gets a schema of its own on the local server (dropped after the file),
// reached through a URL the collector itself understands (`…?schema=NAME`). An unreachable server FAILS the
// file with a line that says how to start it: PostgreSQL tests never skip.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { atFileEnd } from './file-end.ts';

/** The server and database the tests use; GECKO_TEST_PG_URL overrides (e.g. another port). */
export const PG_TEST_URL = process.env.GECKO_TEST_PG_URL ?? 'postgresql://root@127.0.0.1:5432/test';

export interface TestSchema {
  schema: string;
  /** The collector's URL for this schema. */
  url: string;
  /** An admin connection (search_path = the schema) for the test's own checks. */
  sql: pg.Client;
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  /** The single integer a `SELECT count(*)::int AS n …` returns. */
  count(text: string, values?: unknown[]): Promise<number>;
}

/** Connects to PG_TEST_URL (or `url`), or throws the reason with the command that starts the server. */
export async function connectTestServer(url = PG_TEST_URL, options: pg.ClientConfig = {}): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, ...options });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    throw new Error(
      `PostgreSQL tests need a server at ${url} (${code}). Start it: ` +
        'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
      { cause: err },
    );
  }
  return client;
}

/** A fresh, empty schema (the collector migrates it on first open); dropped with everything in it after the file. */
export async function testSchema(prefix = 'gecko_t'): Promise<TestSchema> {
  const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
  const sql = await connectTestServer(PG_TEST_URL, { options: `-c search_path=${schema} -c TimeZone=UTC` });
  await sql.query(`CREATE SCHEMA "${schema}"`);
  atFileEnd(async () => {
    await sql.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await sql.end().catch(() => undefined);
  });
  const url = `${PG_TEST_URL}${PG_TEST_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  return {
    schema,
    url,
    sql,
    query: async (text, values) => (await sql.query(text, values)).rows,
    count: async (text, values) => Number((await sql.query<{ n: number }>(text, values)).rows[0]?.n),
  };
}
