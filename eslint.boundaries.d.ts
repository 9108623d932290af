import type { Linter } from 'eslint';

export declare const LIB_DEPENDENCIES: Readonly<
  Record<'common' | 'database' | 'auth' | 'audit' | 'access' | 'directory' | 'exchange', string[]>
>;
export declare const APPS: string[];
export declare function boundaryConfigs(): Linter.Config[];
