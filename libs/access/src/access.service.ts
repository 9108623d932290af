import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Actor } from '@app/auth';
import { AccessPolicy } from './access-policy.js';
import { grantsHeldAt } from './grants.repository.js';

@Injectable()
export class AccessService {
  constructor(private readonly db: DataSource) {}

  /** The caller's policy: its roles plus the grants its department holds now. One query. */
  async policyFor(actor: Actor, at = new Date()): Promise<AccessPolicy> {
    return new AccessPolicy(actor, await grantsHeldAt(this.db.manager, actor.department.id, at), at);
  }
}
