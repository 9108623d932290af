import type { Linter } from 'eslint';

export declare const LIB_DEPENDENCIES: Readonly<
  Record<'common' | 'database' | 'auth' | 'audit' | 'access' | 'directory' | 'exchange' | 'testing', string[]>
>;
export declare const TEST_LIBS: string[];
export declare const APPS: string[];
export declare function boundaryConfigs(): Linter.Config[];
