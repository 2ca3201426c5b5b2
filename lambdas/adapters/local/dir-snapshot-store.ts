// Snapshots kept in a local directory (0600 files): the local stand-in for the S3 bucket. As an S3 upload
// makes an object only once its stream ended, a snapshot is written under a temporary name and renamed into
// place only once its stream ended; a stream that fails (etcd went away, the trailer did not match) leaves
// no file behind.
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { SnapshotStore } from '../../ports';

export class DirSnapshotStore implements SnapshotStore {
  constructor(private readonly props: { readonly dir: string }) {}

  async save(clusterName: string, name: string, chunks: AsyncIterable<Uint8Array>): Promise<{ location: string; bytes: number }> {
    const dir = join(this.props.dir, clusterName);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const location = join(dir, `${name}.db`);
    const partial = `${location}.partial-${process.pid}`;
    let bytes = 0;
    const counted = Readable.from(
      (async function* count() {
        for await (const chunk of chunks) {
          bytes += chunk.length;
          yield chunk;
        }
      })(),
    );
    try {
      await pipeline(counted, createWriteStream(partial, { mode: 0o600 }));
      renameSync(partial, location);
    } catch (error) {
      rmSync(partial, { force: true });
      throw error;
    }
    return { location, bytes };
  }
}
