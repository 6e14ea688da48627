import type { z } from 'zod';
import type { InvokeChannel } from '../../shared/api';
import { CHANNELS } from '../../shared/channels';
import { schemasOf } from '../../shared/contract';

// Every request that crosses a transport is validated before a service sees it, against the
// schema its channel is declared with (src/shared/channels/): the one declaration of a request.
export const REQUEST_SCHEMAS: Record<InvokeChannel, z.ZodType> = schemasOf(CHANNELS);
