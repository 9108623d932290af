import { Injectable } from '@nestjs/common';
import { KnownLedgers } from '@app/audit';
import { DirectoryService } from './directory.service.js';

/** Each onboarded district has a ledger from its onboarding on, before its first entry. */
@Injectable()
export class DistrictLedgers extends KnownLedgers {
  constructor(private readonly directory: DirectoryService) {
    super();
  }

  async has(ledger: string): Promise<boolean> {
    return (await this.directory.districtByCode(ledger)) !== null;
  }
}
