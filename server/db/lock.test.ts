import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderLock, FolderLockedError } from './lock.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gz-lock-'));

describe('FolderLock', () => {
  it('refuses a second holder in the same process while the first is alive', () => {
    const dir = tmp();
    const lock = FolderLock.acquire(dir);
    expect(() => FolderLock.acquire(dir)).toThrow(FolderLockedError);
    lock.release();
    FolderLock.acquire(dir).release();
  });

  it('takes over a stale lock left by a dead process at once', () => {
    const dir = tmp();
    // A pid that cannot be alive (beyond pid_max) stands for a crashed holder.
    fs.writeFileSync(path.join(dir, 'gongzhi.lock'), '99999999:12345');
    const lock = FolderLock.acquire(dir);
    expect(fs.readFileSync(path.join(dir, 'gongzhi.lock'), 'utf8')).toMatch(new RegExp(`^${process.pid}:`));
    lock.release();
  });

  it('treats a reused pid with another start time as stale', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'gongzhi.lock'), `${process.pid}:1`);
    const lock = FolderLock.acquire(dir);
    lock.release();
    expect(fs.existsSync(path.join(dir, 'gongzhi.lock'))).toBe(false);
  });

  it('makes a second process on the same data folder exit at once with a message naming the folder', () => {
    const dir = tmp();
    const lock = FolderLock.acquire(dir);
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'migrate'], {
        env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).toBe(3);
      expect(r.stderr).toContain(dir);
      expect(r.stderr).toMatch(/正被另一个 Gongzhi 进程/);
    } finally {
      lock.release();
    }
  });
});
