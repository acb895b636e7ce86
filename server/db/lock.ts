import fs from 'node:fs';
import path from 'node:path';

/**
 * An exclusive lock on the embedded database folder.
 *
 * PGlite has no lock of its own: two processes opening one folder silently lose writes. We keep a
 * lock file holding our pid and the process start time. A lock whose process is gone (crash,
 * SIGKILL) is taken over at once, so a restart after a crash never waits; a live holder makes the
 * second process fail immediately. We do not use an mtime-based lock library (proper-lockfile):
 * it would make a restart after SIGKILL wait for the stale period.
 */
export class FolderLock {
  private constructor(
    readonly file: string,
    private readonly token: string,
  ) {}

  /** Takes the lock or throws `FolderLockedError` naming the folder and the holder's pid. */
  static acquire(dir: string): FolderLock {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'gongzhi.lock');
    const token = `${process.pid}:${processStartTime(process.pid) ?? 'unknown'}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // 'wx' fails if the file exists: creation is atomic, so only one process wins.
        fs.writeFileSync(file, token, { flag: 'wx', mode: 0o600 });
        return new FolderLock(file, token);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(file);
      if (holder && isAlive(holder.pid, holder.start)) {
        throw new FolderLockedError(dir, holder.pid);
      }
      // Stale: remove only if it still holds the stale content (another process may have taken it).
      const stale = path.join(dir, `gongzhi.lock.stale-${process.pid}`);
      try {
        fs.renameSync(file, stale);
        const moved = readHolder(stale);
        if (moved && holder && moved.raw !== holder.raw) {
          // We moved a fresh lock by mistake; put it back and report it as held.
          fs.renameSync(stale, file);
          throw new FolderLockedError(dir, moved.pid);
        }
        fs.rmSync(stale, { force: true });
      } catch (err) {
        if (err instanceof FolderLockedError) throw err;
      }
    }
    throw new FolderLockedError(dir, readHolder(file)?.pid ?? 0);
  }

  /** Releases the lock if we still hold it. */
  release(): void {
    try {
      if (fs.readFileSync(this.file, 'utf8') === this.token) fs.rmSync(this.file, { force: true });
    } catch {
      // Already gone: nothing to release.
    }
  }
}

/** The folder is in use by another live process. */
export class FolderLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `数据目录 ${dir} 正被另一个 Gongzhi 进程（pid ${pid}）使用；同一目录只能由一个进程打开。` +
        `\nThe data folder ${dir} is in use by another Gongzhi process (pid ${pid}); only one process may open it.`,
    );
    this.name = 'FolderLockedError';
  }
}

function readHolder(file: string): { pid: number; start: string; raw: string } | null {
  try {
    const raw = fs.readFileSync(file, 'utf8');
    const [pid, start] = raw.split(':');
    const n = Number(pid);
    return Number.isInteger(n) && n > 0 ? { pid: n, start: start ?? 'unknown', raw } : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number, start: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // Same pid, different start time: the pid was reused after a crash, the lock is stale.
  const now = processStartTime(pid);
  return start === 'unknown' || now === null || now === start;
}

/** Start time of a process in clock ticks since boot (Linux), or null where /proc is absent. */
function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces, so count from its closing paren.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}
