import { randomBytes } from 'node:crypto';
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
 * The identity one caller (a browser session of `ferry serve`, an app window) acts as: unlocked with its
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

  /** When this session was last active (ms since the epoch); 0 before the first login. */
  get lastActiveAt(): number {
    return this.lastActive;
  }

  /** The unlocked identity, or undefined (never logged in, logged out or locked). */
  current(): ActingIdentity | undefined {
    return this.expireIfIdle() ? this.acting : undefined;
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

/** One caller's login: what the identity handlers act on. */
export interface SessionSlot {
  info(): SessionInfo;
  /** Unlocks NAME for this caller only (replacing whoever was signed in here). */
  login(name: string, passphrase: string): { info: SessionInfo; acting: ActingIdentity };
  logout(): SessionInfo;
  /** The signed-in identity; `touch` counts the call as activity (postpones the auto-lock). */
  current(touch: boolean): ActingIdentity | undefined;
}

export const MAX_SESSIONS = 64;

/**
 * Logins by caller: a browser session of `ferry serve` (a random id the server hands out at
 * login) or an app window (its id). Each locks on its own after inactivity. At most
 * `max` are kept; the least recently active one goes first.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, IdentitySession>();

  constructor(
    private readonly db: Db,
    private readonly max = MAX_SESSIONS,
    readonly lockAfterMinutes: number = lockMinutesFromEnv(),
    private readonly now: () => number = Date.now,
  ) {}

  has(id: string): boolean {
    return this.sessions.has(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A fresh random session id (256 bits, URL-safe). */
  static newId(): string {
    return randomBytes(32).toString('base64url');
  }

  /**
   * The slot of caller `id`. With `id` undefined (a browser that never logged in), a login
   * makes a new id and reports it through `onNewId` (the server sends it back as a header).
   */
  slot(id: string | undefined, onNewId?: (id: string) => void): SessionSlot {
    let key = id;
    const session = (): IdentitySession | undefined => (key !== undefined ? this.sessions.get(key) : undefined);
    const signedOut = (): SessionInfo => ({ acting: null, lockAfterMinutes: this.lockAfterMinutes });
    return {
      info: () => session()?.info() ?? signedOut(),
      login: (name, passphrase) => {
        const fresh = new IdentitySession(this.db, this.lockAfterMinutes, this.now);
        const info = fresh.login(name, passphrase); // throws on a wrong passphrase: nothing is kept
        if (key === undefined) {
          key = SessionRegistry.newId();
          onNewId?.(key);
        }
        this.put(key, fresh);
        return { info, acting: fresh.require() };
      },
      logout: () => {
        if (key !== undefined) this.close(key);
        return signedOut();
      },
      current: (touch) => {
        const s = session();
        if (!s) return undefined;
        if (touch) s.touch();
        const acting = s.current();
        if (!acting && key !== undefined) this.close(key);
        return acting;
      },
    };
  }

  /** Drops one caller's login (logout, a closed window). */
  close(id: string): void {
    this.sessions.get(id)?.logout();
    this.sessions.delete(id);
  }

  private put(id: string, session: IdentitySession): void {
    this.close(id);
    for (const [k, s] of this.sessions) if (!s.current()) this.close(k);
    while (this.sessions.size >= this.max) {
      let oldest: string | undefined;
      let at = Infinity;
      for (const [k, s] of this.sessions) if (s.lastActiveAt < at) [oldest, at] = [k, s.lastActiveAt];
      this.close(oldest!);
    }
    this.sessions.set(id, session);
  }
}
