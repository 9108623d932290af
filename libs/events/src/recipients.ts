import type { AccessPolicy, FileFacts } from '@app/access';
import { isExchangeKind, type Candidate } from './feed-event.js';

/** Whether the caller's department holds a grant in force that gives it READ (a READ or EXCHANGE grant, on the file or by scope). */
export function holdsReadGrant(policy: AccessPolicy, file: FileFacts): boolean {
  return policy.explain(file).some((e) => e.action === 'READ' && e.grants.length > 0);
}

/** Told, not told, or told if it held a READ or EXCHANGE grant on the file when the change was made. */
export type Verdict = 'told' | 'not told' | 'if it held a grant then';

/**
 * Who is told, decided by the caller's AccessPolicy (the same CASL rules as
 * every query), never by a rule of its own. Always only a department that may
 * DISCOVER the file now, and then:
 * - of a change to a file: its owner, and a department that holds a READ or
 *   EXCHANGE grant on it now or held one when the change was made (so that a
 *   reader resuming after its grant was revoked still learns what happened
 *   while it held it);
 * - of a grant revoked or expiring: the owner and the department that held it
 *   (a scope grant names no file: that department alone);
 * - of an exchange step: its requesting and its owning department.
 */
export function verdict(now: AccessPolicy, candidate: Candidate): Verdict {
  const department = now.actor.department.id;
  const { event, file } = candidate;
  if (isExchangeKind(event.kind)) {
    const parties = candidate.exchangeParties;
    return parties !== null && (parties.requesterDepartmentId === department || parties.ownerDepartmentId === department)
      ? 'told'
      : 'not told';
  }
  if (event.kind === 'GRANT_REVOKED' || event.kind === 'GRANT_EXPIRING') {
    const heldIt = candidate.granteeDepartmentId === department;
    if (!event.fileId) return heldIt ? 'told' : 'not told';
    return file !== null && now.can('DISCOVER', file) && (heldIt || now.isOwner(file)) ? 'told' : 'not told';
  }
  if (file === null || !now.can('DISCOVER', file)) return 'not told';
  return now.isOwner(file) || holdsReadGrant(now, file) ? 'told' : 'if it held a grant then';
}
