/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Me {\n    me { subject roles department { code name district { code name } } }\n  }\n": typeof types.MeDocument,
    "\n  query DirectoryReference {\n    districts { code name }\n    departments { code name district { code } }\n  }\n": typeof types.DirectoryReferenceDocument,
    "\n  query Files($filter: FileFilter, $first: Int, $after: String) {\n    files(filter: $filter, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node { id code title classification category tags version updatedAt owner { code name } district { code name } myAccess }\n      }\n    }\n  }\n": typeof types.FilesDocument,
    "\n  query File($id: ID!) {\n    file(id: $id) {\n      id code title description classification category tags format updateFrequency version updatedAt\n      owner { code name } district { code name }\n      fields { name type sensitive description obtainable }\n      myAccess\n    }\n  }\n": typeof types.FileDocument,
    "\n  query ExplainAccess($fileId: ID!, $departmentCode: String!) {\n    explainAccess(fileId: $fileId, departmentCode: $departmentCode) {\n      allowed reasons\n      permissions { id actions fields purpose expiresAt grantee { code name } }\n    }\n  }\n": typeof types.ExplainAccessDocument,
    "\n  query Exchanges($status: ExchangeStatus, $first: Int, $after: String) {\n    exchanges(status: $status, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id fields purpose status requestedAt decidedAt decidedBy deliveredAt contentHash\n          requester { code name }\n          fileId file { id title } owner { code name }\n        }\n      }\n    }\n  }\n": typeof types.ExchangesDocument,
    "\n  query Exchange($id: ID!) {\n    exchange(id: $id) {\n      id fields purpose status requestedAt decidedAt decidedBy deliveredAt contentHash\n      requester { code name }\n      fileId file { id title } owner { code name }\n      receipt { ledger seq entryHash proof checkpoint { ledger size rootHash signedAt signature keyId } }\n    }\n  }\n": typeof types.ExchangeDocument,
    "\n  mutation RequestExchange($input: RequestExchangeInput!) {\n    requestExchange(input: $input) { id status }\n  }\n": typeof types.RequestExchangeDocument,
    "\n  mutation ApproveExchange($id: ID!, $note: String) {\n    approveExchange(id: $id, note: $note) { id status decidedAt decidedBy }\n  }\n": typeof types.ApproveExchangeDocument,
    "\n  mutation RejectExchange($id: ID!, $reason: String!) {\n    rejectExchange(id: $id, reason: $reason) { id status decidedAt decidedBy }\n  }\n": typeof types.RejectExchangeDocument,
    "\n  mutation DeliverExchange($id: ID!) {\n    deliverExchange(id: $id) {\n      records contentHash\n      exchange {\n        id status deliveredAt contentHash\n        receipt { ledger seq entryHash proof checkpoint { ledger size rootHash signedAt signature keyId } }\n      }\n    }\n  }\n": typeof types.DeliverExchangeDocument,
    "\n  query Permissions($fileId: ID, $granteeDepartmentCode: String, $includeInactive: Boolean, $asOf: DateTime, $first: Int, $after: String) {\n    permissions(fileId: $fileId, granteeDepartmentCode: $granteeDepartmentCode, includeInactive: $includeInactive, asOf: $asOf, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id actions fields purpose validFrom expiresAt grantedBy revokedAt revokedBy revokeReason active\n          scopeCategory scopeMaxClassification districtCode\n          grantee { code name }\n          file { id title }\n        }\n      }\n    }\n  }\n": typeof types.PermissionsDocument,
    "\n  mutation GrantPermission($input: GrantPermissionInput!) {\n    grantPermission(input: $input) { id active }\n  }\n": typeof types.GrantPermissionDocument,
    "\n  mutation GrantScopePermission($input: GrantScopePermissionInput!) {\n    grantScopePermission(input: $input) { id active }\n  }\n": typeof types.GrantScopePermissionDocument,
    "\n  mutation RevokePermission($id: ID!, $reason: String!) {\n    revokePermission(id: $id, reason: $reason) { id active revokedAt }\n  }\n": typeof types.RevokePermissionDocument,
    "\n  query Ledgers {\n    districts { code name }\n    auditPublicKeys { keyId }\n  }\n": typeof types.LedgersDocument,
    "\n  query LatestCheckpoint($ledger: String!) {\n    latestCheckpoint(ledger: $ledger) { ledger size rootHash signedAt keyId }\n  }\n": typeof types.LatestCheckpointDocument,
    "\n  query AuditLog($ledger: String!, $afterSeq: BigInt, $first: Int) {\n    auditLog(ledger: $ledger, afterSeq: $afterSeq, first: $first) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { ledger seq occurredAt actor action subjectType subjectId hash } }\n    }\n  }\n": typeof types.AuditLogDocument,
    "\n  query VerifyLedger($ledger: String!) {\n    verifyAuditChain(ledger: $ledger) { ledger ok checked firstBadSeq reason }\n  }\n": typeof types.VerifyLedgerDocument,
    "\n  query AuditPublicKeys {\n    auditPublicKeys { keyId publicKeyPem }\n  }\n": typeof types.AuditPublicKeysDocument,
    "\n  query FileFacets($filter: FileFilter) {\n    fileFacets(filter: $filter) {\n      districts { value label count }\n      owners { value label count }\n      classifications { value count }\n      categories { value count }\n      tags { value count }\n    }\n  }\n": typeof types.FileFacetsDocument,
};
const documents: Documents = {
    "\n  query Me {\n    me { subject roles department { code name district { code name } } }\n  }\n": types.MeDocument,
    "\n  query DirectoryReference {\n    districts { code name }\n    departments { code name district { code } }\n  }\n": types.DirectoryReferenceDocument,
    "\n  query Files($filter: FileFilter, $first: Int, $after: String) {\n    files(filter: $filter, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node { id code title classification category tags version updatedAt owner { code name } district { code name } myAccess }\n      }\n    }\n  }\n": types.FilesDocument,
    "\n  query File($id: ID!) {\n    file(id: $id) {\n      id code title description classification category tags format updateFrequency version updatedAt\n      owner { code name } district { code name }\n      fields { name type sensitive description obtainable }\n      myAccess\n    }\n  }\n": types.FileDocument,
    "\n  query ExplainAccess($fileId: ID!, $departmentCode: String!) {\n    explainAccess(fileId: $fileId, departmentCode: $departmentCode) {\n      allowed reasons\n      permissions { id actions fields purpose expiresAt grantee { code name } }\n    }\n  }\n": types.ExplainAccessDocument,
    "\n  query Exchanges($status: ExchangeStatus, $first: Int, $after: String) {\n    exchanges(status: $status, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id fields purpose status requestedAt decidedAt decidedBy deliveredAt contentHash\n          requester { code name }\n          fileId file { id title } owner { code name }\n        }\n      }\n    }\n  }\n": types.ExchangesDocument,
    "\n  query Exchange($id: ID!) {\n    exchange(id: $id) {\n      id fields purpose status requestedAt decidedAt decidedBy deliveredAt contentHash\n      requester { code name }\n      fileId file { id title } owner { code name }\n      receipt { ledger seq entryHash proof checkpoint { ledger size rootHash signedAt signature keyId } }\n    }\n  }\n": types.ExchangeDocument,
    "\n  mutation RequestExchange($input: RequestExchangeInput!) {\n    requestExchange(input: $input) { id status }\n  }\n": types.RequestExchangeDocument,
    "\n  mutation ApproveExchange($id: ID!, $note: String) {\n    approveExchange(id: $id, note: $note) { id status decidedAt decidedBy }\n  }\n": types.ApproveExchangeDocument,
    "\n  mutation RejectExchange($id: ID!, $reason: String!) {\n    rejectExchange(id: $id, reason: $reason) { id status decidedAt decidedBy }\n  }\n": types.RejectExchangeDocument,
    "\n  mutation DeliverExchange($id: ID!) {\n    deliverExchange(id: $id) {\n      records contentHash\n      exchange {\n        id status deliveredAt contentHash\n        receipt { ledger seq entryHash proof checkpoint { ledger size rootHash signedAt signature keyId } }\n      }\n    }\n  }\n": types.DeliverExchangeDocument,
    "\n  query Permissions($fileId: ID, $granteeDepartmentCode: String, $includeInactive: Boolean, $asOf: DateTime, $first: Int, $after: String) {\n    permissions(fileId: $fileId, granteeDepartmentCode: $granteeDepartmentCode, includeInactive: $includeInactive, asOf: $asOf, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id actions fields purpose validFrom expiresAt grantedBy revokedAt revokedBy revokeReason active\n          scopeCategory scopeMaxClassification districtCode\n          grantee { code name }\n          file { id title }\n        }\n      }\n    }\n  }\n": types.PermissionsDocument,
    "\n  mutation GrantPermission($input: GrantPermissionInput!) {\n    grantPermission(input: $input) { id active }\n  }\n": types.GrantPermissionDocument,
    "\n  mutation GrantScopePermission($input: GrantScopePermissionInput!) {\n    grantScopePermission(input: $input) { id active }\n  }\n": types.GrantScopePermissionDocument,
    "\n  mutation RevokePermission($id: ID!, $reason: String!) {\n    revokePermission(id: $id, reason: $reason) { id active revokedAt }\n  }\n": types.RevokePermissionDocument,
    "\n  query Ledgers {\n    districts { code name }\n    auditPublicKeys { keyId }\n  }\n": types.LedgersDocument,
    "\n  query LatestCheckpoint($ledger: String!) {\n    latestCheckpoint(ledger: $ledger) { ledger size rootHash signedAt keyId }\n  }\n": types.LatestCheckpointDocument,
    "\n  query AuditLog($ledger: String!, $afterSeq: BigInt, $first: Int) {\n    auditLog(ledger: $ledger, afterSeq: $afterSeq, first: $first) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { ledger seq occurredAt actor action subjectType subjectId hash } }\n    }\n  }\n": types.AuditLogDocument,
    "\n  query VerifyLedger($ledger: String!) {\n    verifyAuditChain(ledger: $ledger) { ledger ok checked firstBadSeq reason }\n  }\n": types.VerifyLedgerDocument,
    "\n  query AuditPublicKeys {\n    auditPublicKeys { keyId publicKeyPem }\n  }\n": types.AuditPublicKeysDocument,
    "\n  query FileFacets($filter: FileFilter) {\n    fileFacets(filter: $filter) {\n      districts { value label count }\n      owners { value label count }\n      classifications { value count }\n      categories { value count }\n      tags { value count }\n    }\n  }\n": types.FileFacetsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me { subject roles department { code name district { code name } } }\n  }\n"): (typeof documents)["\n  query Me {\n    me { subject roles department { code name district { code name } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DirectoryReference {\n    districts { code name }\n    departments { code name district { code } }\n  }\n"): (typeof documents)["\n  query DirectoryReference {\n    districts { code name }\n    departments { code name district { code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Files($filter: FileFilter, $first: Int, $after: String) {\n    files(filter: $filter, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node { id code title classification category tags version updatedAt owner { code name } district { code name } myAccess }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Files($filter: FileFilter, $first: Int, $after: String) {\n    files(filter: $filter, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        cursor\n        node { id code title classification category tags version updatedAt owner { code name } district { code name } myAccess }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query File($id: ID!) {\n    file(id: $id) {\n      id code title description classification category tags format updateFrequency version updatedAt\n      owner { code name } district { code name }\n      fields { name type sensitive description obtainable }\n      myAccess\n    }\n  }\n"): (typeof documents)["\n  query File($id: ID!) {\n    file(id: $id) {\n      id code title description classification category tags format updateFrequency version updatedAt\n      owner { code name } district { code name }\n      fields { name type sensitive description obtainable }\n      myAccess\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ExplainAccess($fileId: ID!, $departmentCode: String!) {\n    explainAccess(fileId: $fileId, departmentCode: $departmentCode) {\n      allowed reasons\n      permissions { id actions fields purpose expiresAt grantee { code name } }\n    }\n  }\n"): (typeof documents)["\n  query ExplainAccess($fileId: ID!, $departmentCode: String!) {\n    explainAccess(fileId: $fileId, departmentCode: $departmentCode) {\n      allowed reasons\n      permissions { id actions fields purpose expiresAt grantee { code name } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Exchanges($status: ExchangeStatus, $first: Int, $after: String) {\n    exchanges(status: $status, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id fields purpose status requestedAt decidedAt decidedBy deliveredAt contentHash\n          requester { code name }\n          fileId file { id title } owner { code name }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Exchanges($status: ExchangeStatus, $first: Int, $after: String) {\n    exchanges(status: $status, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id fields purpose status requestedAt decidedAt decidedBy deliveredAt contentHash\n          requester { code name }\n          fileId file { id title } owner { code name }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Exchange($id: ID!) {\n    exchange(id: $id) {\n      id fields purpose status requestedAt decidedAt decidedBy deliveredAt contentHash\n      requester { code name }\n      fileId file { id title } owner { code name }\n      receipt { ledger seq entryHash proof checkpoint { ledger size rootHash signedAt signature keyId } }\n    }\n  }\n"): (typeof documents)["\n  query Exchange($id: ID!) {\n    exchange(id: $id) {\n      id fields purpose status requestedAt decidedAt decidedBy deliveredAt contentHash\n      requester { code name }\n      fileId file { id title } owner { code name }\n      receipt { ledger seq entryHash proof checkpoint { ledger size rootHash signedAt signature keyId } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestExchange($input: RequestExchangeInput!) {\n    requestExchange(input: $input) { id status }\n  }\n"): (typeof documents)["\n  mutation RequestExchange($input: RequestExchangeInput!) {\n    requestExchange(input: $input) { id status }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ApproveExchange($id: ID!, $note: String) {\n    approveExchange(id: $id, note: $note) { id status decidedAt decidedBy }\n  }\n"): (typeof documents)["\n  mutation ApproveExchange($id: ID!, $note: String) {\n    approveExchange(id: $id, note: $note) { id status decidedAt decidedBy }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RejectExchange($id: ID!, $reason: String!) {\n    rejectExchange(id: $id, reason: $reason) { id status decidedAt decidedBy }\n  }\n"): (typeof documents)["\n  mutation RejectExchange($id: ID!, $reason: String!) {\n    rejectExchange(id: $id, reason: $reason) { id status decidedAt decidedBy }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeliverExchange($id: ID!) {\n    deliverExchange(id: $id) {\n      records contentHash\n      exchange {\n        id status deliveredAt contentHash\n        receipt { ledger seq entryHash proof checkpoint { ledger size rootHash signedAt signature keyId } }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation DeliverExchange($id: ID!) {\n    deliverExchange(id: $id) {\n      records contentHash\n      exchange {\n        id status deliveredAt contentHash\n        receipt { ledger seq entryHash proof checkpoint { ledger size rootHash signedAt signature keyId } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Permissions($fileId: ID, $granteeDepartmentCode: String, $includeInactive: Boolean, $asOf: DateTime, $first: Int, $after: String) {\n    permissions(fileId: $fileId, granteeDepartmentCode: $granteeDepartmentCode, includeInactive: $includeInactive, asOf: $asOf, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id actions fields purpose validFrom expiresAt grantedBy revokedAt revokedBy revokeReason active\n          scopeCategory scopeMaxClassification districtCode\n          grantee { code name }\n          file { id title }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Permissions($fileId: ID, $granteeDepartmentCode: String, $includeInactive: Boolean, $asOf: DateTime, $first: Int, $after: String) {\n    permissions(fileId: $fileId, granteeDepartmentCode: $granteeDepartmentCode, includeInactive: $includeInactive, asOf: $asOf, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id actions fields purpose validFrom expiresAt grantedBy revokedAt revokedBy revokeReason active\n          scopeCategory scopeMaxClassification districtCode\n          grantee { code name }\n          file { id title }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation GrantPermission($input: GrantPermissionInput!) {\n    grantPermission(input: $input) { id active }\n  }\n"): (typeof documents)["\n  mutation GrantPermission($input: GrantPermissionInput!) {\n    grantPermission(input: $input) { id active }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation GrantScopePermission($input: GrantScopePermissionInput!) {\n    grantScopePermission(input: $input) { id active }\n  }\n"): (typeof documents)["\n  mutation GrantScopePermission($input: GrantScopePermissionInput!) {\n    grantScopePermission(input: $input) { id active }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokePermission($id: ID!, $reason: String!) {\n    revokePermission(id: $id, reason: $reason) { id active revokedAt }\n  }\n"): (typeof documents)["\n  mutation RevokePermission($id: ID!, $reason: String!) {\n    revokePermission(id: $id, reason: $reason) { id active revokedAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Ledgers {\n    districts { code name }\n    auditPublicKeys { keyId }\n  }\n"): (typeof documents)["\n  query Ledgers {\n    districts { code name }\n    auditPublicKeys { keyId }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LatestCheckpoint($ledger: String!) {\n    latestCheckpoint(ledger: $ledger) { ledger size rootHash signedAt keyId }\n  }\n"): (typeof documents)["\n  query LatestCheckpoint($ledger: String!) {\n    latestCheckpoint(ledger: $ledger) { ledger size rootHash signedAt keyId }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditLog($ledger: String!, $afterSeq: BigInt, $first: Int) {\n    auditLog(ledger: $ledger, afterSeq: $afterSeq, first: $first) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { ledger seq occurredAt actor action subjectType subjectId hash } }\n    }\n  }\n"): (typeof documents)["\n  query AuditLog($ledger: String!, $afterSeq: BigInt, $first: Int) {\n    auditLog(ledger: $ledger, afterSeq: $afterSeq, first: $first) {\n      pageInfo { hasNextPage endCursor }\n      edges { node { ledger seq occurredAt actor action subjectType subjectId hash } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query VerifyLedger($ledger: String!) {\n    verifyAuditChain(ledger: $ledger) { ledger ok checked firstBadSeq reason }\n  }\n"): (typeof documents)["\n  query VerifyLedger($ledger: String!) {\n    verifyAuditChain(ledger: $ledger) { ledger ok checked firstBadSeq reason }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditPublicKeys {\n    auditPublicKeys { keyId publicKeyPem }\n  }\n"): (typeof documents)["\n  query AuditPublicKeys {\n    auditPublicKeys { keyId publicKeyPem }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FileFacets($filter: FileFilter) {\n    fileFacets(filter: $filter) {\n      districts { value label count }\n      owners { value label count }\n      classifications { value count }\n      categories { value count }\n      tags { value count }\n    }\n  }\n"): (typeof documents)["\n  query FileFacets($filter: FileFilter) {\n    fileFacets(filter: $filter) {\n      districts { value label count }\n      owners { value label count }\n      classifications { value count }\n      categories { value count }\n      tags { value count }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;