import type { InvokeChannel } from '../../shared/api';

// Which API channels each CLI command calls (through dispatch, as IPC and HTTP callers do), and
// the few commands that cannot be a channel, each with its reason. test/unit/cli-channels.test.ts
// walks the command tree and checks every command is here, every channel exists, and that no
// command builds a service itself.

export interface Exempt {
  exempt: string;
}

export const COMMAND_CHANNELS: Record<string, readonly InvokeChannel[] | Exempt> = {
  'bundle create': ['bundle:create'],
  acquire: ['bundle:create'],
  resolve: ['recipe:resolve'],
  'recipe list': ['recipe:list'],
  'recipe show': ['recipe:show'],
  'recipe resolve': ['recipe:resolve'],
  'recipe schema': { exempt: 'prints the recipe JSON Schema, a static document of this Ferry build: no station, no request, nothing acted on' },
  verify: ['bundle:verify', 'media:verify'],
  import: ['bundle:import', 'media:assemble', 'bundle:approval'],
  'media detect': ['media:detect'],
  'media plan': ['media:plan'],
  'media write': ['media:write'],
  'media verify': ['media:verify'],
  'media assemble': ['media:assemble'],
  scan: ['scan:path'],
  bom: ['bom:document'],
  'custody log': ['custody:list'],
  'custody verify': ['custody:chain'],
  'custody export': ['custody:export-log'],
  'custody import': ['custody:import'],
  'custody record': ['custody:record'],
  'custody syslog': ['custody:syslog'],
  report: ['custody:report', 'custody:verify'],
  serve: { exempt: 'a transport: it serves these same channels over loopback HTTP(S) to browser sessions that sign in themselves' },
  'identity create': {
    exempt:
      'enrolment by the OS user who owns the data dir, before and without any signed-in identity (the first admin, and stations set up from the command line); identity:create is the app\'s, for a signed-in admin',
  },
  'identity list': ['identity:list'],
  'identity export-public': ['identity:publickey'],
  'identity station': ['station:configure'],
  review: ['bundle:manifest', 'review:decide', 'review:override', 'identity:current'],
  'trust add': ['trust:add'],
  'trust list': ['trust:list'],
  'trust revoke': ['trust:revoke'],
  'trust check': ['trust:check'],
  'trust policy': ['trust:policy'],
  'credentials add': ['credentials:set'],
  'credentials list': ['credentials:list'],
  'credentials remove': ['credentials:remove'],
  install: ['install:plan', 'install:get', 'install:run', 'install:undo'],
  'install list': ['install:list'],
  'install show': ['install:get'],
  'install export-compose': ['install:export-compose'],
  'install remove': ['install:remove'],
  'inventory export': ['inventory:export'],
  'inventory check': ['inventory:check'],
  upgrade: ['upgrade:run'],
  'signature-policy show': ['signature-policy:show'],
  'signature-policy add': ['signature-policy:change'],
  'signature-policy remove': ['signature-policy:change'],
  'signature-policy unmatched': ['signature-policy:change'],
  'engine status': ['engine:status'],
  doctor: { exempt: 'checks and recovers the station database itself, so it must run where the services cannot open it (a damaged ferry.db); it opens the file directly and never starts the services' },
  'kit build': { exempt: 'builds Ferry\'s own offline kit from this installation (Node.js runtime and Ferry\'s files), before and without any station: nothing of a station is read or acted on' },
  'kit verify': { exempt: 'checks the Ferry that is about to run (the offline kit) before it is trusted with a station: it must not open the station it is checking the code of' },
};
