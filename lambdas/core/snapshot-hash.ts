// etcd's snapshot trailer. A backend snapshot etcd streams (Maintenance.Snapshot, as `etcdctl snapshot save`
// asks for it) ends with a last message of 32 bytes: the SHA-256 of every byte before it. `etcdutl snapshot
// restore` refuses a file whose trailer does not match (unless --skip-hash-check); `snapshot status` does not
// look at it (it checks bolt's own pages). SnapshotHashCheck checks the trailer while the chunks go by: it
// hashes all but the last 32 bytes seen and keeps those in a small rolling buffer, so a snapshot of several
// GB is never held in memory.
import { createHash } from 'node:crypto';
import { SnapshotCorruptError } from './errors';

/** Bytes of the SHA-256 etcd appends to a snapshot. */
export const SNAPSHOT_TRAILER_BYTES = 32;

/** A snapshot whose trailer matched. */
export interface VerifiedSnapshot {
  /** The trailer in hex: the SHA-256 of the backend (the file without its last 32 bytes). */
  readonly sha256: string;
  /** Bytes streamed, the trailer included: the size of the file etcdctl would have saved. */
  readonly bytes: number;
}

/** Checks one snapshot stream: `update` with every chunk in order, then `finish` once it ended. */
export class SnapshotHashCheck {
  readonly #hash = createHash('sha256');
  /** The last (at most 32) bytes seen: the trailer, if the stream ends here. Never hashed until more bytes come. */
  #tail: Uint8Array = new Uint8Array(0);
  #bytes = 0;
  #outcome: { readonly verified: VerifiedSnapshot } | { readonly failure: SnapshotCorruptError } | undefined;

  update(chunk: Uint8Array): void {
    if (this.#outcome) throw new Error('SnapshotHashCheck: update after finish');
    this.#bytes += chunk.length;
    if (chunk.length >= SNAPSHOT_TRAILER_BYTES) {
      // The old tail and all of this chunk but its last 32 bytes come before any trailer.
      this.#hash.update(this.#tail);
      this.#hash.update(chunk.subarray(0, chunk.length - SNAPSHOT_TRAILER_BYTES));
      this.#tail = chunk.slice(chunk.length - SNAPSHOT_TRAILER_BYTES);
      return;
    }
    // A small chunk: the trailer may start in the old tail (at most 63 bytes joined here).
    const joined = new Uint8Array(this.#tail.length + chunk.length);
    joined.set(this.#tail);
    joined.set(chunk, this.#tail.length);
    const cut = Math.max(0, joined.length - SNAPSHOT_TRAILER_BYTES);
    this.#hash.update(joined.subarray(0, cut));
    this.#tail = joined.slice(cut);
  }

  /** The stream ended: the verified snapshot, or SnapshotCorruptError. Asked again, gives the same answer. */
  finish(): VerifiedSnapshot {
    this.#outcome ??= this.#judge();
    if ('failure' in this.#outcome) throw this.#outcome.failure;
    return this.#outcome.verified;
  }

  /** Why the snapshot was refused, once `finish` refused it. */
  get failure(): SnapshotCorruptError | undefined {
    return this.#outcome && 'failure' in this.#outcome ? this.#outcome.failure : undefined;
  }

  #judge(): { readonly verified: VerifiedSnapshot } | { readonly failure: SnapshotCorruptError } {
    if (this.#bytes < SNAPSHOT_TRAILER_BYTES) {
      return { failure: new SnapshotCorruptError(`snapshot stream ended after ${this.#bytes} bytes, before the ${SNAPSHOT_TRAILER_BYTES}-byte SHA-256 etcd appends`) };
    }
    const computed = this.#hash.digest('hex');
    const trailer = Buffer.from(this.#tail).toString('hex');
    if (computed !== trailer) {
      return {
        failure: new SnapshotCorruptError(
          `snapshot is corrupt: the SHA-256 of its ${this.#bytes - SNAPSHOT_TRAILER_BYTES} backend bytes is ${computed}, its trailer says ${trailer}`,
        ),
      };
    }
    return { verified: { sha256: trailer, bytes: this.#bytes } };
  }
}

/**
 * `chunks` unchanged (the trailer included, as etcdctl saves it), each fed to `check`. A wrong or missing
 * trailer fails the stream itself in place of its end, so a store that commits only a stream that ended
 * (an S3 upload, a file renamed into place) never keeps a corrupt snapshot.
 */
export async function* checkedSnapshot(chunks: AsyncIterable<Uint8Array>, check: SnapshotHashCheck): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    check.update(chunk);
    yield chunk;
  }
  check.finish();
}
