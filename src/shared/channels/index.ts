import type { ApiOf } from '../contract';
import { CUSTODY_ADMIN_CHANNELS } from './custody-admin';
import { ENGINE_CHANNELS } from './engine';
import { INSTALL_ADMIN_CHANNELS } from './install-admin';
import { INSTALL_RECORD_CHANNELS } from './install-records';
import { MEDIA_ASSEMBLE_CHANNELS } from './media-assemble';
import { OPERATOR_CHANNELS } from './operator';
import { TRUST_CHECK_CHANNELS } from './trust-check';
import { UPGRADE_CHANNELS } from './upgrade';

/** Every channel declared by schema (src/shared/contract.ts); src/shared/api.ts adds them to the API. */
export const CHANNELS = {
  ...CUSTODY_ADMIN_CHANNELS,
  ...ENGINE_CHANNELS,
  ...INSTALL_ADMIN_CHANNELS,
  ...INSTALL_RECORD_CHANNELS,
  ...MEDIA_ASSEMBLE_CHANNELS,
  ...OPERATOR_CHANNELS,
  ...TRUST_CHECK_CHANNELS,
  ...UPGRADE_CHANNELS,
};

export type DeclaredApi = ApiOf<typeof CHANNELS>;
