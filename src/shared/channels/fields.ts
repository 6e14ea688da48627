import { z } from 'zod';

// The field shapes request schemas share: bounded text and lists of it. Every request that
// crosses a transport is validated against its channel's schema before a handler sees it.

/** Text of at most `max` characters. */
export const text = (max = 4096) => z.string().max(max);

/** A list of up to 1000 texts of up to 1024 characters (images, mirrors, targets…). */
export const list = z.array(text(1024)).max(1000);

/** A passphrase or password: checked for length only, and never echoed in an error. */
export const secret = (max = 4096) => z.string().max(max, 'is too long');

/** A passphrase that must be given (length only; the service rates it). */
export const passphrase = z.string().min(1, 'is empty').max(1024, 'is too long');

/** A channel that takes no argument. */
export const none = z.object({});
