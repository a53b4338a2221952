// A throwaway PostgreSQL cluster of the test's own (initdb into a temp directory, a free port, run as the
// postgres user), for the faults that would disturb everyone else on the shared server: stopping and restarting
// it, refusing connections, killing its backends. Fails (never skips) when the server binaries are missing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { atFileEnd } from './file-end.ts';

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
  const bin = versions.map((v) => path.join(root, v, 'bin')).find((b) => fs.existsSync(path.join(b, 'initdb')));
  if (!bin) throw new Error(`PostgreSQL fault tests need the server binaries (initdb, pg_ctl) under ${root}`);
  return bin;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

export interface PrivateCluster {
  port: number;
  /** `postgresql://root@127.0.0.1:<port>/postgres` */
  url: string;
  start(): void;
  /** pg_ctl stop: 'fast' ends sessions cleanly, 'immediate' is a crash. */
  stop(mode?: 'fast' | 'immediate'): void;
  destroy(): void;
}

export async function privateCluster(): Promise<PrivateCluster> {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gecko-pgfault-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const asPostgres = (cmd: string) => execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', cmd], { stdio: 'pipe' });
  execFileSync('chown', ['postgres', dir]);
  asPostgres(`${bin}/initdb -D ${dir}/data -A trust -U root --no-sync >/dev/null`);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40`;
  const cluster: PrivateCluster = {
    port,
    url: `postgresql://root@127.0.0.1:${port}/postgres`,
    start: () => asPostgres(`${bin}/pg_ctl -D ${dir}/data -l ${dir}/log -o '${opts}' -w start >/dev/null`),
    stop: (mode = 'fast') => asPostgres(`${bin}/pg_ctl -D ${dir}/data -m ${mode} -w stop >/dev/null`),
    destroy: () => {
      try {
        cluster.stop('immediate');
      } catch {
        // Already stopped.
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  atFileEnd(() => cluster.destroy());
  cluster.start();
  return cluster;
}
