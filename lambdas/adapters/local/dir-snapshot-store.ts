// Snapshots kept in a local directory (0600 files): the local stand-in for the S3 bucket.
import { createWriteStream, mkdirSync } from 'node:fs';
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
    let bytes = 0;
    const counted = Readable.from(
      (async function* count() {
        for await (const chunk of chunks) {
          bytes += chunk.length;
          yield chunk;
        }
      })(),
    );
    await pipeline(counted, createWriteStream(location, { mode: 0o600 }));
    return { location, bytes };
  }
}
