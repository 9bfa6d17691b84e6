import { AnyApiFactory } from '@backstage/core-plugin-api';

// The plugins register their own API factories; the app adds none of its own.
export const apis: AnyApiFactory[] = [];
