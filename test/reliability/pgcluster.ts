/**
 * A private PostgreSQL cluster for tests that stop the database under load: `initdb` and `pg_ctl`
 * from the machine's PostgreSQL binaries, in a temp folder, on a free port. The machine's shared
 * PostgreSQL (others' tests use it) is never touched. The binaries refuse to run as root, so as root
 * they run as the `postgres` OS user (`runuser`), with the folder handed to that user.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../e2e/server.ts';

export interface PrivateCluster {
  url: string;
  port: number;
  dir: string;
  /** `pg_ctl stop -m immediate`: the server dies without a checkpoint, as in a crash. */
  stop(): void;
  start(): void;
  /** Stops it (if running) and removes the folder. */
  destroy(): void;
}

/** Where `initdb` and `pg_ctl` are, newest version first; null when PostgreSQL's server is not installed. */
function binDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : null;
}

/** Why a private cluster cannot be made here, or null when it can. */
export function privateClusterUnavailable(): string | null {
  if (!binDir()) return 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0)
    return 'running as root and there is no `postgres` OS user to run initdb/pg_ctl as';
  return null;
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const bin = binDir();
  if (!bin) throw new Error('no PostgreSQL server binaries');
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gz-pgcluster-'));
  const data = path.join(dir, 'data');
  const run = (cmd: string, args: string[]) => {
    const full = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]]
      : [path.join(bin, cmd), args];
    const r = spawnSync(full[0] as string, full[1] as string[], {
      encoding: 'utf8',
      timeout: 180_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (r.status !== 0) {
      let log = '';
      try {
        log = fs.readFileSync(path.join(dir, 'log'), 'utf8').slice(-2000);
      } catch {}
      throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}\n${log}`);
    }
  };
  if (asRoot) spawnSync('chown', ['-R', 'postgres:', dir]);
  // Durability settings stay at their defaults (fsync on): the test is about what a real server does.
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  let port = 0;
  const start = () => {
    run('pg_ctl', [
      '-D',
      data,
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100`,
      '-l',
      path.join(dir, 'log'),
      '-w',
      '-t',
      '120',
      'start',
    ]);
  };
  // A port may be taken between choosing and binding it: try a few.
  for (let i = 0; ; i++) {
    port = await freePort();
    try {
      start();
      break;
    } catch (err) {
      if (i >= 3) throw err;
    }
  }
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    stop() {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop']);
      running = false;
    },
    start() {
      start();
      running = true;
    },
    destroy() {
      try {
        if (running) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
