import { ArgsType, Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { connectionOf } from '../graphql/connection.js';
import type { Action as ActionName, Classification as ClassificationName } from '@app/access';
import { Action, Classification } from '../graphql/enums.js';
import { DateTimeScalar } from '../graphql/scalars.js';
import { DepartmentModel } from '../districts/district.model.js';

@ObjectType('Permission')
export class PermissionModel {
  @Field(() => ID) id!: string;
  @Field(() => [String], { nullable: true, description: 'null means all fields' }) fields!: string[] | null;
  @Field() purpose!: string;
  @Field() validFrom!: Date;
  @Field(() => DateTimeScalar, { nullable: true }) expiresAt!: Date | null;
  @Field() grantedBy!: string;
  @Field(() => DateTimeScalar, { nullable: true }) revokedAt!: Date | null;
  @Field(() => String, { nullable: true }) revokedBy!: string | null;
  @Field(() => String, { nullable: true }) revokeReason!: string | null;
  @Field(() => String, { nullable: true, description: 'for a scope grant: the category of the district it covers' }) scopeCategory!:
    string | null;
  @Field(() => Classification, { nullable: true, description: 'for a scope grant: the highest classification it covers' })
  scopeMaxClassification!: ClassificationName | null;
  @Field(() => String, { description: 'the district of the file or scope' }) districtCode!: string;
  @Field(() => Int, {
    nullable: true,
    description: "for a grant on a file: the file's published version when the grant was decided (or last re-approved)",
  })
  fileVersion!: number | null;
  @Field(() => Int, {
    nullable: true,
    description: "for a grant on a file: the file's schema version the grant was decided (or last re-approved) on",
  })
  schemaVersion!: number | null;
}

@InputType('GrantPermissionInput')
export class GrantPermissionInput {
  @Field(() => ID) fileId!: string;
  @Field() granteeDepartmentCode!: string;
  @Field(() => [Action]) actions!: ActionName[];
  @Field(() => [String], { nullable: true }) fields?: string[] | null;
  @Field() purpose!: string;
  @Field(() => DateTimeScalar, { nullable: true }) expiresAt?: Date | null;
}

@InputType('GrantScopePermissionInput')
export class GrantScopePermissionInput {
  @Field() districtCode!: string;
  @Field() category!: string;
  @Field(() => Classification) maxClassification!: ClassificationName;
  @Field() granteeDepartmentCode!: string;
  @Field(() => [Action]) actions!: ActionName[];
  @Field() purpose!: string;
  @Field(() => DateTimeScalar, { nullable: true }) expiresAt?: Date | null;
}

export const PermissionConnectionModel = connectionOf(PermissionModel, 'Permission', { totalCount: true });

@ArgsType()
export class PermissionsArgs {
  @Field(() => Int, { nullable: true, defaultValue: 50 }) first?: number;
  @Field(() => String, { nullable: true }) after?: string | null;
  @Field(() => ID, { nullable: true }) fileId?: string | null;
  @Field(() => String, { nullable: true }) granteeDepartmentCode?: string | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false }) includeInactive?: boolean | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'the grants that were active at that instant, from the grant history' })
  asOf?: Date | null;
}

@ArgsType()
export class ExplainAccessArgs {
  @Field(() => ID) fileId!: string;
  @Field() departmentCode!: string;
}

@ArgsType()
export class ReapprovePermissionArgs {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true, description: 'for a scope grant: the file whose review ends; without it, every file' })
  fileId?: string | null;
  @Field(() => String, { nullable: true }) note?: string | null;
}

@ArgsType()
export class RevokePermissionArgs {
  @Field(() => ID) id!: string;
  @Field() reason!: string;
}

@ObjectType('AccessExplanation')
export class AccessExplanationModel {
  @Field(() => [Action]) allowed!: ActionName[];
  @Field(() => [String], { description: 'the grants and default rules that give each action' }) reasons!: string[];
  @Field(() => [PermissionModel]) permissions!: PermissionModel[];
}

@ObjectType('FileAudienceMember')
export class FileAudienceMemberModel {
  @Field(() => DepartmentModel) department!: DepartmentModel;
  @Field(() => [String], { description: 'the default rules and grants that give the action, as explainAccess words them' })
  reasons!: string[];
}

export const FileAudienceConnectionModel = connectionOf(FileAudienceMemberModel, 'FileAudience', { totalCount: true });

@ArgsType()
export class FileAudienceArgs {
  @Field(() => ID) fileId!: string;
  @Field(() => Action) action!: ActionName;
  @Field(() => DateTimeScalar, { nullable: true, description: 'the audience at that instant, from the grant history; now when absent' })
  asOf?: Date | null;
  @Field(() => Int, { nullable: true, defaultValue: 50 }) first?: number;
  @Field(() => String, { nullable: true }) after?: string | null;
}

@ObjectType('AccessCounts')
export class AccessCountsModel {
  @Field(() => DepartmentModel) department!: DepartmentModel;
  @Field(() => DateTimeScalar) at!: Date;
  @Field(() => Int, { description: 'files its members may discover' }) discover!: number;
  @Field(() => Int, { description: 'files its members may read' }) read!: number;
  @Field(() => Int, { description: 'files its members may exchange' }) exchange!: number;
}

@ArgsType()
export class AccessCountsArgs {
  @Field() departmentCode!: string;
  @Field(() => DateTimeScalar, { nullable: true }) asOf?: Date | null;
}
