// How strong a new passphrase is: one small function used by the onboarding and Settings
// forms (the live hint) and by the service that creates identities (which refuses what is not
// acceptable), so the hint and the rule never disagree.

/** The shortest passphrase accepted; src/main/identity/envelope.ts enforces the same (a test keeps them equal). */
export const MIN_PASSPHRASE_LENGTH = 10;

export type StrengthLevel = 'too-short' | 'weak' | 'fair' | 'strong';

export interface PassphraseStrength {
  level: StrengthLevel;
  /** Whether an identity may be created with it. */
  acceptable: boolean;
  /** One line for people, e.g. "Strong: 28 characters, 2 kinds of characters." */
  summary: string;
  /** What to do to make it stronger (empty when nothing). */
  advice: string[];
  length: number;
  /** Kinds used: lower case, upper case, digits, other (spaces, punctuation, other scripts). */
  classes: number;
}

// Passwords attackers try first (lower case, letters and digits only; trailing digits are ignored when comparing).
const COMMON = new Set([
  'password', 'passw0rd', 'passwort', 'motdepasse', 'qwerty', 'qwertz', 'azerty', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'letmein', 'iloveyou', 'welcome',
  'admin', 'administrator', 'root', 'toor', 'changeme', 'secret', 'default', 'monkey', 'dragon', 'football', 'baseball', 'sunshine', 'princess', 'master',
  'shadow', 'superman', 'trustno1', 'whatever', 'starwars', 'login', 'abc', 'abcd', 'test', 'testing', 'guest', 'user', 'ferry', 'ferryadmin', 'airgap',
  'security', 'operator', 'reviewer', 'auditor', 'summer', 'winter', 'spring', 'autumn', 'hello', 'helloworld', 'freedom', 'ninja', 'mustang', 'access',
  'batman', 'michael', 'jennifer', 'jordan', 'hunter', 'pass', 'passphrase', 'mypassword', 'mypassphrase', 'qazwsx', 'zaq1xsw2', '1q2w3e4r', '1qaz2wsx',
]);
const SEQUENCES = ['abcdefghijklmnopqrstuvwxyz', '01234567890', 'qwertyuiopasdfghjklzxcvbnm', 'qwertzuiopasdfghjklyxcvbnm', 'azertyuiopqsdfghjklmwxcvbn'];

function isCommon(p: string): boolean {
  const plain = p.toLowerCase().replace(/[^a-z0-9]/g, '');
  const stem = plain.replace(/\d+$/, '').replace(/^\d+/, '');
  if (COMMON.has(plain) || COMMON.has(stem)) return true;
  // Only digits, or a run along the alphabet or a keyboard row (forwards or backwards).
  if (/^\d+$/.test(plain)) return true;
  return plain.length > 0 && SEQUENCES.some((s) => s.includes(plain) || [...s].reverse().join('').includes(plain));
}

/** One short unit repeated ("aaaaaaaaaa", "abcabcabcabc", "hellohello"). */
function isRepeated(p: string): boolean {
  return /^(.{1,5})\1+$/su.test(p.toLowerCase());
}

function classesOf(p: string): number {
  return [/[a-z]/u, /[A-Z]/u, /[0-9]/u, /[^a-zA-Z0-9]/u].filter((re) => re.test(p)).length;
}

/**
 * Rates `passphrase`. `context` holds words it should not contain (the identity's name, the
 * station's name): containing one lowers the rating; being one makes it unacceptable.
 */
export function passphraseStrength(passphrase: string, context: readonly string[] = []): PassphraseStrength {
  const length = [...passphrase].length;
  const classes = classesOf(passphrase);
  const lower = passphrase.toLowerCase();
  const words = context.map((w) => w.trim().toLowerCase()).filter((w) => w.length >= 3);
  const facts = `${length} character${length === 1 ? '' : 's'}, ${classes} kind${classes === 1 ? '' : 's'} of characters`;
  const LONGER = 'A few unrelated words with spaces between them are easy to type and hard to guess.';
  if (length < MIN_PASSPHRASE_LENGTH) {
    return { level: 'too-short', acceptable: false, summary: `Too short: ${facts} (at least ${MIN_PASSPHRASE_LENGTH}).`, advice: [LONGER], length, classes };
  }
  if (isCommon(passphrase) || isRepeated(passphrase) || words.includes(lower.trim())) {
    return {
      level: 'weak',
      acceptable: false,
      summary: `Weak: a common password, a keyboard or number run, a repetition or a name (${facts}).`,
      advice: ['Attackers try these first; pick something nobody would guess.', LONGER],
      length,
      classes,
    };
  }
  const advice: string[] = [];
  let score = length >= 20 ? 3 : length >= 14 ? 2 : 1;
  if (classes >= 3) score += 1;
  if (words.some((w) => lower.includes(w))) {
    score -= 1;
    advice.push('Leave out your own name and the station name: they are the first words an attacker tries.');
  }
  if (score < 3) advice.push(length < 20 ? 'Longer is stronger: add another word.' : 'Mix in capitals, digits or punctuation.');
  const level: StrengthLevel = score >= 3 ? 'strong' : 'fair';
  return { level, acceptable: true, summary: `${level === 'strong' ? 'Strong' : 'Fair'}: ${facts}.`, advice, length, classes };
}
