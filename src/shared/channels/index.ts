import type { ApiOf } from '../contract';
import { CORE_CHANNELS } from './core';
import { BUNDLE_TOOL_CHANNELS } from './bundle-tools';
import { CUSTODY_ADMIN_CHANNELS } from './custody-admin';
import { CUSTODY_LOG_CHANNELS } from './custody-log';
import { ENGINE_CHANNELS } from './engine';
import { INSTALL_ADMIN_CHANNELS } from './install-admin';
import { INSTALL_RECORD_CHANNELS } from './install-records';
import { INVENTORY_CHANNELS } from './inventory';
import { INSTALL_CHANNELS } from './install';
import { MEDIA_CHANNELS } from './media';
import { MEDIA_ASSEMBLE_CHANNELS } from './media-assemble';
import { ONBOARDING_CHANNELS } from './onboarding';
import { OPERATOR_CHANNELS } from './operator';
import { STATION_ADMIN_CHANNELS } from './station-admin';
import { OVERRIDE_CHANNELS } from './overrides';
import { REVIEW_CHANNELS } from './review';
import { SETTINGS_CHANNELS } from './settings';
import { TRUST_CHECK_CHANNELS } from './trust-check';
import { UPGRADE_CHANNELS } from './upgrade';

/**
 * Every family of channels. A channel is declared once, by its schema (src/shared/contract.ts);
 * test/unit/api-contract.test.ts checks no name is declared by two families.
 */
export const CHANNEL_FAMILIES = [
  CORE_CHANNELS,
  REVIEW_CHANNELS,
  OVERRIDE_CHANNELS,
  INSTALL_CHANNELS,
  MEDIA_CHANNELS,
  SETTINGS_CHANNELS,
  ONBOARDING_CHANNELS,
  BUNDLE_TOOL_CHANNELS,
  CUSTODY_ADMIN_CHANNELS,
  CUSTODY_LOG_CHANNELS,
  ENGINE_CHANNELS,
  INSTALL_ADMIN_CHANNELS,
  INSTALL_RECORD_CHANNELS,
  INVENTORY_CHANNELS,
  MEDIA_ASSEMBLE_CHANNELS,
  OPERATOR_CHANNELS,
  STATION_ADMIN_CHANNELS,
  TRUST_CHECK_CHANNELS,
  UPGRADE_CHANNELS,
] as const;

type Merged<T extends readonly object[]> = T extends readonly [infer H, ...infer R extends readonly object[]] ? H & Merged<R> : unknown;

/** Every channel by name; src/shared/api.ts's InvokeApi is this API. */
export const CHANNELS = Object.assign({}, ...CHANNEL_FAMILIES) as Merged<typeof CHANNEL_FAMILIES>;

export type DeclaredApi = ApiOf<typeof CHANNELS>;
