import { Args, Context, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { DirectoryService } from '@app/directory';
import type { GraphQLContext } from '../context/request-scope.js';
import { DepartmentModel, DistrictModel } from './district.model.js';

@Resolver(() => DistrictModel)
export class DistrictsResolver {
  constructor(private readonly directory: DirectoryService) {}

  @Query(() => [DistrictModel])
  districts() {
    return this.directory.districts();
  }

  @ResolveField(() => [DepartmentModel])
  departments(@Parent() district: DistrictModel) {
    return this.directory.departmentsOfDistrict(district.id);
  }
}

@Resolver(() => DepartmentModel)
export class DepartmentsResolver {
  constructor(private readonly directory: DirectoryService) {}

  @Query(() => [DepartmentModel])
  departments(@Args('districtCode', { nullable: true, type: () => String }) districtCode?: string | null) {
    return this.directory.departments(districtCode);
  }

  @ResolveField(() => DistrictModel)
  district(@Parent() department: DepartmentModel, @Context() ctx: GraphQLContext) {
    return ctx.scope.districts.load(department.districtId);
  }
}
