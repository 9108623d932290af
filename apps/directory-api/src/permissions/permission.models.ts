import { ArgsType, Field, ID, InputType, ObjectType } from '@nestjs/graphql';
import type { Action as ActionName, Classification as ClassificationName } from '@app/access';
import { Action, Classification } from '../graphql/enums.js';
import { DateTimeScalar } from '../graphql/scalars.js';

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

@ArgsType()
export class PermissionsArgs {
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
