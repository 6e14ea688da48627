import { UsageError } from '../../shared/errors';
import type { SessionInfo } from '../../shared/api-review';
import type { Db } from '../db/database';
import { IdentityStore, type ActingIdentity } from './identity-store';

export const DEFAULT_LOCK_MINUTES = 15;

/** FERRY_LOCK_MINUTES (1–1440), else 15. */
export function lockMinutesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.FERRY_LOCK_MINUTES);
  return Number.isFinite(n) && n > 0 && n <= 1440 ? n : DEFAULT_LOCK_MINUTES;
}

/**
 * The identity a long-running process (the app, `ferry serve`) acts as: unlocked with its
 * passphrase by identity:login, held in memory only, dropped on logout or after
 * `lockAfterMinutes` without activity. The passphrase itself is never kept.
 */
export class IdentitySession {
  private acting: ActingIdentity | undefined;
  private lastActive = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    readonly lockAfterMinutes: number = lockMinutesFromEnv(),
    private readonly now: () => number = Date.now,
  ) {}

  private get lockAfterMs(): number {
    return this.lockAfterMinutes * 60_000;
  }

  login(name: string, passphrase: string): SessionInfo {
    this.logout();
    this.acting = new IdentityStore(this.db).unlock(name, passphrase);
    this.arm();
    return this.info();
  }

  logout(): SessionInfo {
    this.acting = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.info();
  }

  /** Activity: postpones the lock. */
  touch(): void {
    if (this.expireIfIdle()) this.arm();
  }

  private arm(): void {
    this.lastActive = this.now();
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.expireIfIdle(), this.lockAfterMs + 1000);
    this.timer.unref();
  }

  /** Drops the key when idle too long; returns whether an identity is still unlocked. */
  private expireIfIdle(): boolean {
    if (!this.acting) return false;
    if (this.now() - this.lastActive > this.lockAfterMs) {
      this.logout();
      return false;
    }
    return true;
  }

  /** The unlocked identity, or a usage error saying to log in. */
  require(): ActingIdentity {
    if (!this.expireIfIdle()) throw new UsageError('Nobody is logged in (or the session locked after inactivity).', 'Log in with your identity and passphrase first.');
    return this.acting!;
  }

  info(): SessionInfo {
    const a = this.expireIfIdle() ? this.acting! : undefined;
    return {
      acting: a ? { name: a.name, role: a.role, fingerprint: a.fingerprint } : null,
      lockAfterMinutes: this.lockAfterMinutes,
      ...(a ? { locksAt: new Date(this.lastActive + this.lockAfterMs).toISOString() } : {}),
    };
  }
}
