// The check of etcd's snapshot trailer (the SHA-256 of everything before the last 32 bytes), fed the chunks
// as they come: however the stream is cut (chunks smaller than the trailer, a cut inside the trailer, the
// trailer alone as etcd sends it), a good snapshot passes unchanged; a changed byte or a stream cut short
// fails with SnapshotCorruptError, and the checked stream fails in place of its end.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { SnapshotCorruptError } from '../../lambdas/core/errors';
import { checkedSnapshot, SNAPSHOT_TRAILER_BYTES, SnapshotHashCheck } from '../../lambdas/core/snapshot-hash';

/** A backend of `size` random bytes followed by its SHA-256, as etcd streams a snapshot. */
function snapshotOf(size: number): { file: Buffer; sha256: string } {
  const backend = randomBytes(size);
  const digest = createHash('sha256').update(backend).digest();
  return { file: Buffer.concat([backend, digest]), sha256: digest.toString('hex') };
}

/** `file` cut into chunks of the given sizes, taken in turn; what is left over is the last chunk. */
function cut(file: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < file.length; i++) {
    const size = i < sizes.length ? sizes[i]! : file.length - at;
    chunks.push(file.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

function check(chunks: readonly Uint8Array[]) {
  const hashCheck = new SnapshotHashCheck();
  for (const chunk of chunks) hashCheck.update(chunk);
  return hashCheck.finish();
}

async function* streamOf(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** What a store sees reading the checked stream: the chunks it got, and how the stream ended. */
async function consume(chunks: readonly Uint8Array[]) {
  const hashCheck = new SnapshotHashCheck();
  const seen: Uint8Array[] = [];
  try {
    for await (const chunk of checkedSnapshot(streamOf(chunks), hashCheck)) seen.push(chunk);
    return { seen, ended: true as const, hashCheck };
  } catch (error) {
    return { seen, ended: false as const, error, hashCheck };
  }
}

const BACKEND = 1000;
const { file: GOOD, sha256: GOOD_SHA } = snapshotOf(BACKEND);
const TRAILER_AT = GOOD.length - SNAPSHOT_TRAILER_BYTES;

describe('SnapshotHashCheck', () => {
  const goodCuts: ReadonlyArray<{ name: string; sizes: readonly number[] }> = [
    { name: 'one chunk', sizes: [] },
    { name: 'the backend, then the trailer alone (as etcd sends it)', sizes: [BACKEND] },
    { name: 'odd sizes, several smaller than the trailer', sizes: [1, 7, 31, 200, 33, 5, 3, 512, 17] },
    { name: 'a cut inside the trailer', sizes: [TRAILER_AT + 13] },
    { name: 'a cut just before the trailer and one inside it', sizes: [TRAILER_AT - 1, 1, 20] },
    { name: 'chunks of 32 bytes', sizes: Array<number>(Math.floor(GOOD.length / 32)).fill(32) },
    { name: 'byte by byte', sizes: Array<number>(GOOD.length).fill(1) },
  ];
  for (const { name, sizes } of goodCuts) {
    it(`passes a good snapshot cut as ${name}, giving its trailer and size`, () => {
      const chunks = cut(GOOD, sizes);
      assert.deepEqual(Buffer.concat(chunks), GOOD, 'the cut keeps every byte');
      assert.deepEqual(check(chunks), { sha256: GOOD_SHA, bytes: GOOD.length });
    });
  }

  it('passes a snapshot of the trailer alone (an empty backend hashes to the SHA-256 of nothing)', () => {
    const { file, sha256 } = snapshotOf(0);
    assert.deepEqual(check(cut(file, [5, 11])), { sha256, bytes: SNAPSHOT_TRAILER_BYTES });
  });

  for (const [where, at] of [
    ['the first byte', 0],
    ['the last backend byte', TRAILER_AT - 1],
    ['a trailer byte', TRAILER_AT + 31],
  ] as const) {
    it(`refuses a snapshot with ${where} changed, however it is cut: SnapshotCorruptError`, () => {
      const bad = Buffer.from(GOOD);
      bad[at] = bad[at]! ^ 0x01;
      for (const sizes of [[], [BACKEND], [3, 29, 31, 1, 64, TRAILER_AT - 200]]) {
        assert.throws(
          () => check(cut(bad, sizes)),
          (e: Error) => e instanceof SnapshotCorruptError && e.name === 'SnapshotCorruptError' && /^snapshot is corrupt: the SHA-256 of its 1000 backend bytes is [0-9a-f]{64}, its trailer says [0-9a-f]{64}$/.test(e.message),
        );
      }
    });
  }

  it('refuses a stream cut short: without its trailer, or shorter than the trailer', () => {
    assert.throws(() => check(cut(GOOD.subarray(0, TRAILER_AT), [100])), SnapshotCorruptError, 'the backend without the trailer');
    assert.throws(() => check(cut(GOOD.subarray(0, GOOD.length - 1), [TRAILER_AT + 2])), SnapshotCorruptError, 'one byte missing');
    for (const size of [0, 1, SNAPSHOT_TRAILER_BYTES - 1]) {
      assert.throws(
        () => check(cut(GOOD.subarray(0, size), [1])),
        (e: Error) => e instanceof SnapshotCorruptError && e.message === `snapshot stream ended after ${size} bytes, before the 32-byte SHA-256 etcd appends`,
        `${size} bytes`,
      );
    }
  });

  it('gives the same answer when asked again, and names its failure', () => {
    const good = new SnapshotHashCheck();
    good.update(GOOD);
    assert.deepEqual(good.finish(), good.finish());
    assert.equal(good.failure, undefined);
    const short = new SnapshotHashCheck();
    short.update(GOOD.subarray(0, 5));
    const first = (() => {
      try {
        short.finish();
      } catch (error) {
        return error;
      }
      assert.fail('a short stream passed');
    })();
    assert.throws(() => short.finish(), (e) => e === first);
    assert.equal(short.failure, first);
  });
});

describe('checkedSnapshot', () => {
  it('hands a good snapshot on unchanged, the trailer included, and ends', async () => {
    const chunks = cut(GOOD, [1, 31, 500]);
    const { seen, ended, hashCheck } = await consume(chunks);
    assert.equal(ended, true);
    assert.deepEqual(seen, chunks);
    assert.deepEqual(hashCheck.finish(), { sha256: GOOD_SHA, bytes: GOOD.length });
  });

  it('fails a corrupt snapshot in place of its end: every chunk is seen, then the stream throws SnapshotCorruptError', async () => {
    const bad = Buffer.from(GOOD);
    bad[500] = bad[500]! ^ 0xff;
    const chunks = cut(bad, [400, 400]);
    const result = await consume(chunks);
    assert.equal(result.ended, false, 'a store must never see this stream end');
    assert.ok(result.error instanceof SnapshotCorruptError, String(result.error));
    assert.equal(result.hashCheck.failure, result.error);
    assert.equal(result.seen.length, chunks.length);
  });

  it('fails a stream that ends before 32 bytes', async () => {
    const result = await consume([GOOD.subarray(0, 10)]);
    assert.equal(result.ended, false);
    assert.ok(result.error instanceof SnapshotCorruptError, String(result.error));
  });
});
