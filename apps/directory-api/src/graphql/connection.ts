import { Field, Int, ObjectType } from '@nestjs/graphql';
import type { Type } from '@nestjs/common';
import type { Page } from '@app/common';

@ObjectType('PageInfo')
export class PageInfoModel {
  @Field() hasNextPage!: boolean;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfoModel;
  totalCount?: number;
}

/**
 * The Relay-style `<Name>Edge` and `<Name>Connection` types of a node type.
 * `totalCount` is offered where counting is cheap enough to be asked for.
 */
export function connectionOf<T>(node: Type<T>, name: string, options: { totalCount: boolean }): Type<Connection<T>> {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field() cursor!: string;
    @Field(() => node) node!: T;
  }

  @ObjectType(`${name}Connection`)
  class WithoutTotal {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => PageInfoModel) pageInfo!: PageInfoModel;
  }

  @ObjectType(`${name}Connection`)
  class WithTotal extends WithoutTotal {
    @Field(() => Int) totalCount!: number;
  }

  return options.totalCount ? WithTotal : WithoutTotal;
}

/** A page from a service as a connection. */
export function toConnection<T>(page: Page<T>, totalCount?: number | null): Connection<T> {
  return { edges: page.items, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor }, totalCount: totalCount ?? undefined };
}
