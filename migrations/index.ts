import { DirectorySchema1764547200000 } from './1764547200000-DirectorySchema.js';
import { AuditLog1764547200100 } from './1764547200100-AuditLog.js';
import { Permissions1764547200200 } from './1764547200200-Permissions.js';
import { Exchanges1764547200300 } from './1764547200300-Exchanges.js';
import { GrantLookupIndex1764547200400 } from './1764547200400-GrantLookupIndex.js';
import { OnboardDistrictBeijing1795771235857 } from './1795771235857-OnboardDistrictBeijing.js';
import { OnboardDistrictDongcheng1795771236918 } from './1795771236918-OnboardDistrictDongcheng.js';
import { OnboardDistrictXicheng1795771238121 } from './1795771238121-OnboardDistrictXicheng.js';
import { OnboardDistrictChaoyang1795771239256 } from './1795771239256-OnboardDistrictChaoyang.js';
import { OnboardDistrictFengtai1795771240363 } from './1795771240363-OnboardDistrictFengtai.js';
import { OnboardDistrictShijingshan1795771241484 } from './1795771241484-OnboardDistrictShijingshan.js';
import { OnboardDistrictHaidian1795771242672 } from './1795771242672-OnboardDistrictHaidian.js';
import { OnboardDistrictMentougou1795771243924 } from './1795771243924-OnboardDistrictMentougou.js';
import { OnboardDistrictFangshan1795771245116 } from './1795771245116-OnboardDistrictFangshan.js';
import { OnboardDistrictTongzhou1795771246203 } from './1795771246203-OnboardDistrictTongzhou.js';
import { OnboardDistrictShunyi1795771247545 } from './1795771247545-OnboardDistrictShunyi.js';
import { OnboardDistrictChangping1795771248729 } from './1795771248729-OnboardDistrictChangping.js';
import { OnboardDistrictDaxing1795771250012 } from './1795771250012-OnboardDistrictDaxing.js';
import { OnboardDistrictHuairou1795771251508 } from './1795771251508-OnboardDistrictHuairou.js';
import { OnboardDistrictPinggu1795771252708 } from './1795771252708-OnboardDistrictPinggu.js';
import { OnboardDistrictMiyun1795771253966 } from './1795771253966-OnboardDistrictMiyun.js';
import { OnboardDistrictYanqing1795771255255 } from './1795771255255-OnboardDistrictYanqing.js';
import { AuditCheckpointGuard1795962600000 } from './1795962600000-AuditCheckpointGuard.js';
import { AuditAppendPath1795962700000 } from './1795962700000-AuditAppendPath.js';
import { AuditMerkleNodes1795962800000 } from './1795962800000-AuditMerkleNodes.js';
import { AuditEntryNotify1796000000000 } from './1796000000000-AuditEntryNotify.js';
import { AuditEntryFeedIndex1796000000100 } from './1796000000100-AuditEntryFeedIndex.js';
import { CoveringListingIndexes1796000000200 } from './1796000000200-CoveringListingIndexes.js';
import { GrantsTiedToVersions1796100000000 } from './1796100000000-GrantsTiedToVersions.js';
import { ApprovalGrantGate1796300000000 } from './1796300000000-ApprovalGrantGate.js';
import { AuditCanonicalPayload1796600000000 } from './1796600000000-AuditCanonicalPayload.js';
import { AuditPayloadCacheBound1796650000000 } from './1796650000000-AuditPayloadCacheBound.js';
import { AuditFeedPollsHeads1796660000000 } from './1796660000000-AuditFeedPollsHeads.js';
import { GrantInForceIndex1796670000000 } from './1796670000000-GrantInForceIndex.js';
import { AuditLedgerDistrict1796700000000 } from './1796700000000-AuditLedgerDistrict.js';
import { CountByAccessTermIndex1796800000000 } from './1796800000000-CountByAccessTermIndex.js';
import { SameGrantByInForceIndex1796900000000 } from './1796900000000-SameGrantByInForceIndex.js';
import { AuditJcsScalarsInline1797000000000 } from './1797000000000-AuditJcsScalarsInline.js';
import { GrantsHeldVersion1797100000000 } from './1797100000000-GrantsHeldVersion.js';
import { AuditEntryOneTrigger1797200000000 } from './1797200000000-AuditEntryOneTrigger.js';
import { AccessInstantsInMilliseconds1797300000000 } from './1797300000000-AccessInstantsInMilliseconds.js';
import { FileListingVersion1797500000000 } from './1797500000000-FileListingVersion.js';
import { GrantsOnFileInForceIndex1797600000000 } from './1797600000000-GrantsOnFileInForceIndex.js';
import { GrantsNotEndedFunction1797700000000 } from './1797700000000-GrantsNotEndedFunction.js';
import { AuditedWrites1797800000000 } from './1797800000000-AuditedWrites.js';
import { AuditPayloadsCheckable1797900000000 } from './1797900000000-AuditPayloadsCheckable.js';
import { FileCodePerOwner1798000000000 } from './1798000000000-FileCodePerOwner.js';
import { AuditedFileWrites1798100000000 } from './1798100000000-AuditedFileWrites.js';
import { FileInItsOwnersDistrict1798200000000 } from './1798200000000-FileInItsOwnersDistrict.js';
import { GrantVersionsAudited1798300000000 } from './1798300000000-GrantVersionsAudited.js';
import { SearchWithoutFieldNames1798400000000 } from './1798400000000-SearchWithoutFieldNames.js';
import { RowsGoForwardOnly1798500000000 } from './1798500000000-RowsGoForwardOnly.js';
import { EntriesNameTheirChange1798600000000 } from './1798600000000-EntriesNameTheirChange.js';
import { EntriesClaimOnlyWhatHappened1798700000000 } from './1798700000000-EntriesClaimOnlyWhatHappened.js';
import { AnchorsByLedger1798800000000 } from './1798800000000-AnchorsByLedger.js';

/** Every migration, in the order they run. `district:new` registers new ones here. */
export const migrations = [
  DirectorySchema1764547200000,
  AuditLog1764547200100,
  Permissions1764547200200,
  Exchanges1764547200300,
  GrantLookupIndex1764547200400,
  OnboardDistrictBeijing1795771235857,
  OnboardDistrictDongcheng1795771236918,
  OnboardDistrictXicheng1795771238121,
  OnboardDistrictChaoyang1795771239256,
  OnboardDistrictFengtai1795771240363,
  OnboardDistrictShijingshan1795771241484,
  OnboardDistrictHaidian1795771242672,
  OnboardDistrictMentougou1795771243924,
  OnboardDistrictFangshan1795771245116,
  OnboardDistrictTongzhou1795771246203,
  OnboardDistrictShunyi1795771247545,
  OnboardDistrictChangping1795771248729,
  OnboardDistrictDaxing1795771250012,
  OnboardDistrictHuairou1795771251508,
  OnboardDistrictPinggu1795771252708,
  OnboardDistrictMiyun1795771253966,
  OnboardDistrictYanqing1795771255255,
  AuditCheckpointGuard1795962600000,
  AuditAppendPath1795962700000,
  AuditMerkleNodes1795962800000,
  AuditEntryNotify1796000000000,
  AuditEntryFeedIndex1796000000100,
  CoveringListingIndexes1796000000200,
  GrantsTiedToVersions1796100000000,
  ApprovalGrantGate1796300000000,
  AuditCanonicalPayload1796600000000,
  AuditPayloadCacheBound1796650000000,
  AuditFeedPollsHeads1796660000000,
  GrantInForceIndex1796670000000,
  AuditLedgerDistrict1796700000000,
  CountByAccessTermIndex1796800000000,
  SameGrantByInForceIndex1796900000000,
  AuditJcsScalarsInline1797000000000,
  GrantsHeldVersion1797100000000,
  AuditEntryOneTrigger1797200000000,
  AccessInstantsInMilliseconds1797300000000,
  FileListingVersion1797500000000,
  GrantsOnFileInForceIndex1797600000000,
  GrantsNotEndedFunction1797700000000,
  AuditedWrites1797800000000,
  AuditPayloadsCheckable1797900000000,
  FileCodePerOwner1798000000000,
  AuditedFileWrites1798100000000,
  FileInItsOwnersDistrict1798200000000,
  GrantVersionsAudited1798300000000,
  SearchWithoutFieldNames1798400000000,
  RowsGoForwardOnly1798500000000,
  EntriesNameTheirChange1798600000000,
  EntriesClaimOnlyWhatHappened1798700000000,
  AnchorsByLedger1798800000000,
];
