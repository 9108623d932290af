import type { DataFileRow } from '@app/directory';
import type { GraphQLContext } from '../context/request-scope.js';

type FieldOfFile<T> = (file: DataFileRow, args: unknown, ctx: GraphQLContext) => T;

/**
 * The fields of a DataFile resolved per file, as plain GraphQL resolvers
 * rather than Nest `@ResolveField` methods: a page of 20 files calls them 80
 * times, and Nest runs an asynchronous parameter chain for each call (one per
 * parameter, even with no pipe to apply), which cost a page more than the
 * work itself. Each is one call of the request's loaders or of the caller's
 * policy; the fields are declared on DataFileModel.
 */
export const dataFileResolvers: Record<'district' | 'owner' | 'fields' | 'myAccess', FieldOfFile<unknown>> = {
  district: (file, _args, ctx) => ctx.scope.districts.load(file.districtId),
  owner: (file, _args, ctx) => ctx.scope.departments.load(file.ownerDepartmentId),
  fields: (file, _args, ctx) => ctx.scope.visibleFields.load(file),
  myAccess: (file, _args, ctx) => ctx.caller.actionsOn(file),
};
