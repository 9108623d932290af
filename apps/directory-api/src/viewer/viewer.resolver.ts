import { Field, ObjectType, Query, Resolver } from '@nestjs/graphql';
import type { AccessPolicy } from '@app/access';
import type { Role as RoleName } from '@app/auth';
import { Caller } from '../context/auth.guard.js';
import { DepartmentModel } from '../districts/district.model.js';
import { Role } from '../graphql/enums.js';

@ObjectType('Viewer')
export class ViewerModel {
  @Field() subject!: string;
  @Field(() => DepartmentModel) department!: DepartmentModel;
  @Field(() => [Role]) roles!: RoleName[];
}

@Resolver(() => ViewerModel)
export class ViewerResolver {
  @Query(() => ViewerModel)
  me(@Caller() caller: AccessPolicy): ViewerModel {
    const { subject, roles, department } = caller.actor;
    return {
      subject,
      roles,
      department: { id: department.id, code: department.code, name: department.name, districtId: department.districtId },
    };
  }
}
