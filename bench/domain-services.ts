import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AccessService, GrantService } from '@app/access';
import { AuditKeys } from '@app/audit';
import { DirectoryService } from '@app/directory';
import { createDomainContext } from '@app/domain';
import { ExchangeService } from '@app/exchange';

/** The services as the API wires them (the same modules), over a benchmark's own database. */
export async function domainServices(db: DataSource) {
  const { privateKey } = generateKeyPairSync('ed25519');
  const context = await createDomainContext(db, { keys: new AuditKeys(privateKey, [createPublicKey(privateKey)]) });
  return {
    close: () => context.close(),
    directory: context.get(DirectoryService),
    access: context.get(AccessService),
    permissions: context.get(GrantService),
    exchanges: context.get(ExchangeService),
  };
}
