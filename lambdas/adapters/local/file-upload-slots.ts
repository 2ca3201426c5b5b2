// PkiUploadSlots on one machine: the slot is the secret `etcd-ha/<cluster>/adopt/<member>` of the file secret store
// plus a grant file beside it (`<secret>.upload-grant`) naming the one host root that may write it. The host puts its
// value with write-secret.sh (the stand-in for `aws secretsmanager put-secret-value`), which refuses without a grant
// naming its own root, as the host policy refuses an instance whose ARN is not the slot's tag.
import { realpathSync, rmSync } from 'node:fs';
import { ADOPT_UPLOAD_ITEM } from '../../catalog/contracts';
import { SpecValidationError } from '../../core/errors';
import type { Host, PkiUploadSlots } from '../../ports';
import type { FileSecretStore } from './file-secret-store';

export const UPLOAD_GRANT_SUFFIX = '.upload-grant';

export class FileUploadSlots implements PkiUploadSlots {
  constructor(private readonly store: FileSecretStore) {}

  async open(clusterName: string, member: string, host: Host): Promise<{ readonly secretId: string }> {
    if (host.root === undefined) throw new SpecValidationError('upload slot', [`host ${host.name}: a simulated host needs its root`]);
    const name = this.store.nameFor(clusterName, ADOPT_UPLOAD_ITEM(member));
    // A fresh slot: what an earlier attempt left is not this upload.
    rmSync(this.store.pathOf(name), { force: true });
    await this.store.put(`${name}${UPLOAD_GRANT_SUFFIX}`, `${realpathSync(host.root)}\n`, { description: `upload grant of ${host.name}` });
    return { secretId: name };
  }

  read(secretId: string): Promise<string | undefined> {
    return this.store.get(secretId);
  }

  async close(secretId: string): Promise<void> {
    rmSync(this.store.pathOf(secretId), { force: true });
    rmSync(this.store.pathOf(`${secretId}${UPLOAD_GRANT_SUFFIX}`), { force: true });
  }
}
