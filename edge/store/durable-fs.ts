import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Fsyncs a directory so that entries created, renamed or removed in it survive a power loss.
 * Platforms that cannot open a directory for fsync (not Linux) are tolerated.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * Replaces `file` atomically and durably: writes `<file>.tmp` in the same directory, fsyncs it,
 * renames it over `file` and fsyncs the directory. Until the rename the old content stays whole.
 */
export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  await fsyncDir(dirname(file));
}
