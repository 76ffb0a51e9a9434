/**
 * The CLI's `--output FILE`, made safe for a run that may revoke: the file's folder is proven
 * writable before the first request (a temporary file is created next to it), and the report
 * replaces the file whole at the end (written, flushed, renamed), so an interrupted write never
 * leaves half a report where a whole one was.
 */
import { randomUUID } from 'node:crypto';
import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointGuardError } from './core/errors.js';

/** Chunks are gathered into writes of about this size. */
const WRITE_BATCH_CHARACTERS = 1 << 20;

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'its folder does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  return error instanceof Error ? error.message : String(error);
}

export class ReportFile {
  readonly path: string;
  readonly #temporary: string;
  readonly #handle: FileHandle;

  private constructor(path: string, temporary: string, handle: FileHandle) {
    this.path = path;
    this.#temporary = temporary;
    this.#handle = handle;
  }

  /** Opens the report's place before the run. Throws `ERR_CONFIG` naming the path and why. */
  static async open(path: string): Promise<ReportFile> {
    const existing = await stat(path).catch(() => undefined);
    if (existing?.isDirectory()) {
      throw new CheckpointGuardError('ERR_CONFIG', `--output ${path}: is a folder, not a file`);
    }
    const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
    try {
      return new ReportFile(path, temporary, await open(temporary, 'wx'));
    } catch (error) {
      throw new CheckpointGuardError(
        'ERR_CONFIG',
        `--output ${path}: cannot write there: ${reasonOf(error)}`,
      );
    }
  }

  /** Writes the report and puts it in place. Throws `ERR_CONFIG` naming the path and why. */
  async write(chunks: Iterable<string>): Promise<void> {
    try {
      let batch = '';
      for (const chunk of chunks) {
        batch += chunk;
        if (batch.length >= WRITE_BATCH_CHARACTERS) {
          await this.#handle.write(batch);
          batch = '';
        }
      }
      await this.#handle.write(batch);
      await this.#handle.sync();
      await this.#handle.close();
      await rename(this.#temporary, this.path);
    } catch (error) {
      await this.discard();
      throw new CheckpointGuardError(
        'ERR_CONFIG',
        `--output ${this.path}: the report could not be written: ${reasonOf(error)}`,
      );
    }
  }

  /** Removes the temporary file (a run that ends without a report to write). */
  async discard(): Promise<void> {
    await this.#handle.close().catch(() => undefined);
    await rm(this.#temporary, { force: true });
  }
}
