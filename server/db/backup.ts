import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Database } from './database.ts';
import { FolderLock, FolderLockedError } from './lock.ts';

/** The control socket of a running server, inside its data folder (file mode 0600: owner only). */
export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, 'control.sock');
}

/**
 * Serves `GET /backup` on a Unix socket in the data folder so that `gongzhi backup` can take a
 * consistent copy while the server runs (the folder lock keeps the CLI from opening PGlite itself).
 */
export function startControlSocket(database: Database, dataDir: string): http.Server | undefined {
  if (!database.pglite) return undefined;
  const sock = controlSocketPath(dataDir);
  fs.rmSync(sock, { force: true });
  const server = http.createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === '/backup') {
      try {
        const blob = await database.pglite!.dumpDataDir('gzip');
        res.writeHead(200, { 'content-type': 'application/gzip' });
        res.end(Buffer.from(await blob.arrayBuffer()));
      } catch (err) {
        res.writeHead(500).end(String(err));
      }
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(sock, () => fs.chmodSync(sock, 0o600));
  server.unref();
  return server;
}

/** Writes a backup of the embedded database to `file` (gzip tarball), whether or not the server runs. */
export async function backupEmbedded(
  dataDir: string,
  file: string,
): Promise<{ bytes: number; viaServer: boolean }> {
  let lock: FolderLock | undefined;
  try {
    lock = FolderLock.acquire(dataDir);
  } catch (err) {
    if (!(err instanceof FolderLockedError)) throw err;
    const data = await fetchFromSocket(controlSocketPath(dataDir));
    fs.writeFileSync(file, data, { mode: 0o600 });
    return { bytes: data.length, viaServer: true };
  }
  try {
    const pgDir = path.join(dataDir, 'pglite');
    if (!fs.existsSync(pgDir))
      throw new Error(`数据目录 ${dataDir} 中没有数据库 (no database in ${dataDir})`);
    const pg = await PGlite.create(pgDir);
    const blob = await pg.dumpDataDir('gzip');
    await pg.close();
    const data = Buffer.from(await blob.arrayBuffer());
    fs.writeFileSync(file, data, { mode: 0o600 });
    return { bytes: data.length, viaServer: false };
  } finally {
    lock.release();
  }
}

/**
 * Replaces the embedded database with a backup. The server must be stopped (the lock says so);
 * the previous database is kept beside it as `pglite.before-restore-<time>`.
 */
export async function restoreEmbedded(dataDir: string, file: string): Promise<{ keptAt: string | null }> {
  if (!fs.existsSync(file)) throw new Error(`备份文件不存在 (backup file not found): ${file}`);
  const lock = FolderLock.acquire(dataDir);
  try {
    const blob = new Blob([fs.readFileSync(file)]);
    const pgDir = path.join(dataDir, 'pglite');
    const staging = path.join(dataDir, `pglite.restoring-${process.pid}`);
    fs.rmSync(staging, { recursive: true, force: true });
    const pg = await PGlite.create(staging, { loadDataDir: blob });
    await pg.query('select 1');
    await pg.close();
    let keptAt: string | null = null;
    if (fs.existsSync(pgDir)) {
      keptAt = path.join(dataDir, `pglite.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      fs.renameSync(pgDir, keptAt);
    }
    fs.renameSync(staging, pgDir);
    return { keptAt };
  } finally {
    lock.release();
  }
}

function fetchFromSocket(socketPath: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: '/backup', timeout: 300_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(Buffer.concat(chunks))
          : reject(new Error(`backup failed: ${res.statusCode}`)),
      );
    });
    req.on('error', (err) =>
      reject(new Error(`数据目录被占用，且无法连接正在运行的服务进行在线备份 (${err.message})`)),
    );
  });
}
