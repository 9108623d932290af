import type { AccessPolicy, FileFacts } from '@app/access';
import { isExchangeKind, type Candidate } from './feed-event.js';

/** Whether the caller's department holds a grant in force that gives it READ (a READ or EXCHANGE grant, on the file or by scope). */
function holdsReadGrant(policy: AccessPolicy, file: FileFacts): boolean {
  return policy.explain(file).some((e) => e.action === 'READ' && e.grants.length > 0);
}

/**
 * Who is told, decided by the caller's AccessPolicy (the same CASL rules as
 * every query), never by a rule of its own:
 * - about a file: a department that may DISCOVER it and owns it or holds a
 *   READ or EXCHANGE grant on it;
 * - about a grant: its owner and the department that held it (which no longer
 *   holds it once revoked), still only if it may DISCOVER the file;
 * - about an exchange: its requesting and its owning department.
 */
export function mayReceive(policy: AccessPolicy, candidate: Candidate): boolean {
  const department = policy.actor.department.id;
  const { event, file } = candidate;
  if (isExchangeKind(event.kind)) {
    const parties = candidate.exchangeParties;
    return parties !== null && (parties.requesterDepartmentId === department || parties.ownerDepartmentId === department);
  }
  if (event.kind === 'GRANT_REVOKED' || event.kind === 'GRANT_EXPIRING') {
    const heldIt = candidate.granteeDepartmentId === department;
    // A scope grant names no file: only the department that held it is told.
    if (!event.fileId) return heldIt;
    return file !== null && policy.can('DISCOVER', file) && (heldIt || policy.isOwner(file));
  }
  return file !== null && policy.can('DISCOVER', file) && (policy.isOwner(file) || holdsReadGrant(policy, file));
}
