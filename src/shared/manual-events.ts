// Steps a person records by hand (`ferry custody record TYPE`, custody:record); every other custody
// event is written only by the operation itself. Kept free of zod so the CLI's command definitions
// can offer the list without loading the schemas (start-up: test/unit/cli-lazy.test.ts).
export const MANUAL_EVENT_TYPES = ['written', 'sealed', 'handed-over', 'received', 'installed', 'note'] as const;
export type ManualEventType = (typeof MANUAL_EVENT_TYPES)[number];
