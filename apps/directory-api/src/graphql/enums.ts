import { registerEnumType } from '@nestjs/graphql';
import { ACTIONS, CLASSIFICATIONS } from '@app/access';
import { ROLES } from '@app/auth';

const asEnum = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const Classification = asEnum(CLASSIFICATIONS);
export const Action = asEnum(ACTIONS);
export const Role = asEnum(ROLES);
export const ExchangeStatus = asEnum(['REQUESTED', 'APPROVED', 'REJECTED', 'DELIVERED'] as const);

registerEnumType(Classification, { name: 'Classification' });
registerEnumType(Action, { name: 'Action' });
registerEnumType(Role, { name: 'Role' });
registerEnumType(ExchangeStatus, { name: 'ExchangeStatus' });
