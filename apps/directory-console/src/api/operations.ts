import { graphql } from '../gql';

/** Every operation the console sends; GraphQL Code Generator types them from the contract. */

export const MeQuery = graphql(`
  query Me {
    me { subject roles department { code name district { code name } } }
  }
`);

export const DirectoryReferenceQuery = graphql(`
  query DirectoryReference {
    districts { code name }
    departments { code name district { code } }
  }
`);

export const FilesQuery = graphql(`
  query Files($filter: FileFilter, $first: Int, $after: String) {
    files(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node { id code title classification category tags version updatedAt owner { code name } district { code name } myAccess }
      }
    }
  }
`);

export const FileQuery = graphql(`
  query File($id: ID!) {
    file(id: $id) {
      id code title description classification category tags format updateFrequency version updatedAt
      owner { code name } district { code name }
      fields { name type sensitive description obtainable }
      myAccess
    }
  }
`);

export const ExplainAccessQuery = graphql(`
  query ExplainAccess($fileId: ID!, $departmentCode: String!) {
    explainAccess(fileId: $fileId, departmentCode: $departmentCode) {
      allowed reasons
      permissions { id actions fields purpose expiresAt grantee { code name } }
    }
  }
`);

export const ExchangesQuery = graphql(`
  query Exchanges($status: ExchangeStatus, $first: Int, $after: String) {
    exchanges(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id fields purpose status requestedAt decidedAt decidedBy deliveredAt contentHash
          requester { code name }
          fileId file { id title } owner { code name }
        }
      }
    }
  }
`);

export const ExchangeQuery = graphql(`
  query Exchange($id: ID!) {
    exchange(id: $id) {
      id fields purpose status requestedAt decidedAt decidedBy deliveredAt contentHash
      requester { code name }
      fileId file { id title } owner { code name }
      receipt { ledger seq entryHash proof checkpoint { ledger size rootHash signedAt signature keyId } }
    }
  }
`);

export const RequestExchangeMutation = graphql(`
  mutation RequestExchange($input: RequestExchangeInput!) {
    requestExchange(input: $input) { id status }
  }
`);

export const ApproveExchangeMutation = graphql(`
  mutation ApproveExchange($id: ID!, $note: String) {
    approveExchange(id: $id, note: $note) { id status decidedAt decidedBy }
  }
`);

export const RejectExchangeMutation = graphql(`
  mutation RejectExchange($id: ID!, $reason: String!) {
    rejectExchange(id: $id, reason: $reason) { id status decidedAt decidedBy }
  }
`);

export const DeliverExchangeMutation = graphql(`
  mutation DeliverExchange($id: ID!) {
    deliverExchange(id: $id) {
      records contentHash
      exchange {
        id status deliveredAt contentHash
        receipt { ledger seq entryHash proof checkpoint { ledger size rootHash signedAt signature keyId } }
      }
    }
  }
`);

export const PermissionsQuery = graphql(`
  query Permissions($fileId: ID, $granteeDepartmentCode: String, $includeInactive: Boolean, $asOf: DateTime, $first: Int, $after: String) {
    permissions(fileId: $fileId, granteeDepartmentCode: $granteeDepartmentCode, includeInactive: $includeInactive, asOf: $asOf, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id actions fields purpose validFrom expiresAt grantedBy revokedAt revokedBy revokeReason active
          scopeCategory scopeMaxClassification districtCode
          grantee { code name }
          file { id title }
        }
      }
    }
  }
`);

export const GrantPermissionMutation = graphql(`
  mutation GrantPermission($input: GrantPermissionInput!) {
    grantPermission(input: $input) { id active }
  }
`);

export const GrantScopePermissionMutation = graphql(`
  mutation GrantScopePermission($input: GrantScopePermissionInput!) {
    grantScopePermission(input: $input) { id active }
  }
`);

export const RevokePermissionMutation = graphql(`
  mutation RevokePermission($id: ID!, $reason: String!) {
    revokePermission(id: $id, reason: $reason) { id active revokedAt }
  }
`);

export const LedgersQuery = graphql(`
  query Ledgers {
    districts { code name }
    auditPublicKeys { keyId }
  }
`);

export const LatestCheckpointQuery = graphql(`
  query LatestCheckpoint($ledger: String!) {
    latestCheckpoint(ledger: $ledger) { ledger size rootHash signedAt keyId }
  }
`);

export const AuditLogQuery = graphql(`
  query AuditLog($ledger: String!, $afterSeq: BigInt, $first: Int) {
    auditLog(ledger: $ledger, afterSeq: $afterSeq, first: $first) {
      pageInfo { hasNextPage endCursor }
      edges { node { ledger seq occurredAt actor action subjectType subjectId hash } }
    }
  }
`);

export const VerifyLedgerQuery = graphql(`
  query VerifyLedger($ledger: String!) {
    verifyAuditChain(ledger: $ledger) { ledger ok checked firstBadSeq reason }
  }
`);

export const AuditPublicKeysQuery = graphql(`
  query AuditPublicKeys {
    auditPublicKeys { keyId publicKeyPem }
  }
`);

export const FileFacetsQuery = graphql(`
  query FileFacets($filter: FileFilter) {
    fileFacets(filter: $filter) {
      districts { value label count }
      owners { value label count }
      classifications { value count }
      categories { value count }
      tags { value count }
    }
  }
`);
