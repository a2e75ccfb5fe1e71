/**
 * The evidence features in words: the "can I?" line, the sign-in methods on a lookup card, and
 * what the sign-in logs say since a revoke (one person, or a bulk run). Plain view data; the card
 * renderers escape it. Refusals name what would change them: the roles, or the permission an
 * Entra admin can grant, or the licence.
 */
import type { RequesterAdvice } from '../../app/evidence/requesterAdvice';
import type { RequestEvidence, RunEvidence } from '../../app/evidence/signInChecks';
import type { DirectoryFailure, DirectoryFailureCode } from '../../app/ports/directory';
import type { AdviceView, MethodsView, RunSignInsView, SignInLine, SignInsView } from '../../cards/views';
import { listText } from '../../cards/text';
import { describeMethod, isRecent, isRemovable, type MethodsSnapshot } from '../../domain/authMethods';
import type { RevocationRequest, TargetSnapshot } from '../../domain/revocationRequest';
import { signInErrorWords, SIGN_IN_LOG_READER_ROLES, type SignInEvent } from '../../domain/signInEvidence';
import { explainDirectoryFailure } from '../explain';

/** What the evidence words need to know of the deployment. */
export interface EvidenceWording {
  /** AUDIT_SCOPES, as permission names. */
  readonly auditPermissions: readonly string[];
  /** PIM_SCOPES. */
  readonly pimPermissions: readonly string[];
  /** AUTH_METHOD_SCOPES. */
  readonly authMethodPermissions: readonly string[];
  /** RECENT_METHOD_DAYS. */
  readonly recentMethodDays: number;
}

/** Lines listed on an evidence card at most per kind (the rest are counted). */
const MAX_LINES = 10;

/** The name a sentence uses: the first name when the display name has one ("Adele" of "Adele Vance"). */
function firstName(target: Pick<TargetSnapshot, 'displayName' | 'userPrincipalName'>): string {
  const name = target.displayName.trim() || target.userPrincipalName;
  const first = name.split(/\s+/)[0] ?? name;
  return first.length > 1 ? first : name;
}

function article(word: string): string {
  return /^[AEIOU]/i.test(word) ? 'an' : 'a';
}

/** "is a Global Administrator", "holds Global Administrator and Security Administrator", "is in a role-assignable group". */
function whatTheTargetIs(target: TargetSnapshot): string | undefined {
  const roles = target.roles.map((r) => r.displayName).filter((name) => name !== 'User' && !name.startsWith('Guest'));
  const [only] = roles;
  if (roles.length === 1 && only !== undefined) return `is ${article(only)} ${only}`;
  if (roles.length > 1) return `holds ${listText(roles, 'and')}`;
  if (target.inRoleAssignableGroup) return 'is in a role-assignable group';
  return undefined;
}

function consentWords(permissions: readonly string[]): string {
  return permissions.length > 0
    ? `an Entra admin can grant admin consent for ${listText(permissions, 'and')}`
    : 'an Entra admin can grant admin consent';
}

/** The "can I?" line for this requester and target; undefined for their own sessions. */
export function adviceView(found: RequesterAdvice, target: TargetSnapshot, wording: EvidenceWording): AdviceView | undefined {
  const { advice } = found;
  if (advice.kind === 'self') return undefined;
  const name = firstName(target);
  if (advice.kind === 'can') return { lines: [`You can revoke ${name}’s sessions (${advice.via.displayName}).`], tone: 'good' };
  const why = whatTheTargetIs(target);
  const needed = listText(
    advice.needed.map((r) => r.displayName),
    'or',
  );
  const lines = [
    why
      ? `You can’t: ${name} ${why}; this needs ${needed}.`
      : `You can’t: none of your active roles can revoke sessions; this needs ${needed}.`,
  ];
  if (advice.eligible.length > 0) {
    const roles = listText(
      advice.eligible.map((r) => r.displayName),
      'or',
    );
    lines.push(`You’re eligible for ${roles} in Privileged Identity Management: activate it, then click Revoke sessions.`);
  } else if (found.eligibleProblem) {
    lines.push(
      `(Roles you could activate in Privileged Identity Management weren’t checked: ${eligibilityProblem(found.eligibleProblem, wording)}.)`,
    );
  }
  return { lines, tone: 'warning' };
}

function eligibilityProblem(code: DirectoryFailureCode, wording: EvidenceWording): string {
  if (code === 'consent_required') return `the app isn’t approved for that yet; ${consentWords(wording.pimPermissions)}`;
  if (code === 'not_licensed') return 'Privileged Identity Management needs Microsoft Entra ID P2';
  if (code === 'forbidden') return 'Entra refused to list them';
  return explainDirectoryFailure(code).title.toLowerCase();
}

/** "3 hours ago", "1 day ago", "12 days ago": a duration, the same in every time zone. */
function ago(createdAt: string, now: Date): string {
  const hours = Math.max(0, Math.floor((now.getTime() - Date.parse(createdAt)) / 3600_000));
  if (hours < 1) return 'less than an hour ago';
  if (hours < 24) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  const days = Math.floor(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** The methods on a lookup card: toggles for the removable ones, the others with why not. */
export function methodsView(snapshot: MethodsSnapshot, target: TargetSnapshot, now: Date, wording: EvidenceWording): MethodsView {
  if (snapshot.problem) return { readAt: snapshot.readAt, removable: [], fixed: [], problem: methodsProblem(snapshot.problem, wording) };
  const name = firstName(target);
  const removable = snapshot.items.flatMap((m, index) => (isRemovable(m) ? [{ m, index }] : []));
  const only = removable.length === 1;
  return {
    readAt: snapshot.readAt,
    removable: removable.map(({ m, index }) => {
      const recent = isRecent(m, now, wording.recentMethodDays);
      const when = m.createdAt ? `${recent ? '⚠ ' : ''}added ${ago(m.createdAt, now)}` : 'registration date not given';
      const onlyOne = only
        ? ` — ${name}’s only method besides the password: without it they must register again at their next sign-in`
        : '';
      return { inputId: `removeMethod_${snapshot.key}_${index}`, title: `Remove: ${describeMethod(m)} (${when})${onlyOne}`, recent };
    }),
    fixed:
      snapshot.items.length === 0
        ? ['No sign-in methods are registered.']
        : snapshot.items
            .filter((m) => !isRemovable(m))
            .map((m) =>
              m.kind === 'password'
                ? 'The password can’t be removed, only reset (tick “Reset the password” above).'
                : `${describeMethod(m)}: can’t be removed from here.`,
            ),
    ...(removable.length > 1
      ? {
          warning: `If you remove every method, ${name} must register again at their next sign-in (an admin can give them a Temporary Access Pass).`,
        }
      : {}),
  };
}

function methodsProblem(code: DirectoryFailureCode, wording: EvidenceWording): string {
  if (code === 'forbidden')
    return 'Sign-in methods couldn’t be read: Entra refused. Reading another person’s methods needs Authentication Administrator, Privileged Authentication Administrator or Global Reader (removing them: Authentication or Privileged Authentication Administrator).';
  if (code === 'consent_required')
    return `Sign-in methods couldn’t be read: the app isn’t approved for this yet; ${consentWords(wording.authMethodPermissions)}.`;
  return `Sign-in methods couldn’t be read: ${explainDirectoryFailure(code).title.toLowerCase()}.`;
}

function lineOf(event: SignInEvent, failed: boolean): SignInLine {
  return {
    at: event.at,
    ...(event.app ? { app: event.app } : {}),
    ...(event.client ? { client: event.client } : {}),
    ...(event.ipAddress ? { ipAddress: event.ipAddress } : {}),
    ...(event.location ? { location: event.location } : {}),
    ...(event.interactive !== undefined ? { interactive: event.interactive } : {}),
    ...(failed ? { outcome: `${signInErrorWords(event.errorCode, event.failureReason)} (${event.errorCode})` } : {}),
  };
}

/** The plain verdict. */
export function verdictText(verdict: 'none' | 'failedOnly' | 'succeeded', failures: number): string {
  if (verdict === 'none') return 'No sign-in since the revoke.';
  if (verdict === 'failedOnly') return `${failures} failed attempt${failures === 1 ? '' : 's'} since the revoke, none succeeded.`;
  return 'A sign-in succeeded after the revoke: the password or a device may still be in the attacker’s hands — reset and disable.';
}

/** What the logs say since the request's revoke. */
export function signInsView(found: RequestEvidence): SignInsView {
  const { request, signIns } = found;
  return {
    requestId: request.id,
    targetName: request.target.displayName,
    targetUpn: request.target.userPrincipalName,
    revokedAt: signIns.revokedAt,
    checkedAt: signIns.checkedAt,
    residualWindowEndsAt: signIns.residualWindowEndsAt,
    residualWindowOver: Date.parse(signIns.checkedAt) >= Date.parse(signIns.residualWindowEndsAt),
    verdict: signIns.verdict,
    verdictText: verdictText(signIns.verdict, signIns.failures.length),
    successes: signIns.successes.slice(0, MAX_LINES).map((e) => lineOf(e, false)),
    failures: signIns.failures.slice(0, MAX_LINES).map((e) => lineOf(e, true)),
    moreSuccesses: Math.max(0, signIns.successes.length - MAX_LINES),
    moreFailures: Math.max(0, signIns.failures.length - MAX_LINES),
    justBefore: signIns.justBefore,
    truncated: signIns.truncated,
  };
}

/** Why the sign-in logs could not be read, in words an admin can act on. */
export function signInsProblem(failure: DirectoryFailure, wording: EvidenceWording): { title: string; message: string; hint?: string } {
  switch (failure.code) {
    case 'forbidden':
      return {
        title: 'You can’t read the sign-in logs',
        message: `Microsoft Entra ID refused: reading other people’s sign-in logs needs ${listText(SIGN_IN_LOG_READER_ROLES, 'or')}.`,
        hint: 'If you have an eligible role in Privileged Identity Management, activate it and check again, or ask someone who holds one.',
      };
    case 'consent_required':
      return {
        title: 'The app isn’t approved to read sign-in logs',
        message: `Check sign-ins is off in your organisation until an Entra admin grants admin consent for ${listText(wording.auditPermissions.length > 0 ? wording.auditPermissions : ['Session Revoker’s sign-in log permission'], 'and')}. Revocation and containment still work.`,
      };
    case 'not_licensed':
      return {
        title: 'Sign-in logs aren’t available in this tenant',
        message: 'Reading sign-in logs through Microsoft Graph needs Microsoft Entra ID P1 or P2.',
      };
    default:
      return explainDirectoryFailure(failure.code);
  }
}

/** The evidence card when the logs could not be read. */
export function signInsFailureView(
  request: RevocationRequest,
  revokedAt: Date,
  failure: DirectoryFailure,
  now: Date,
  wording: EvidenceWording,
): SignInsView {
  const problem = signInsProblem(failure, wording);
  return {
    requestId: request.id,
    targetName: request.target.displayName,
    targetUpn: request.target.userPrincipalName,
    revokedAt: revokedAt.toISOString(),
    checkedAt: now.toISOString(),
    verdictText: problem.title,
    successes: [],
    failures: [],
    moreSuccesses: 0,
    moreFailures: 0,
    justBefore: 0,
    truncated: false,
    problem,
  };
}

/** One check for a whole bulk run, summarised. */
export function runSignInsView(found: RunEvidence, wording: EvidenceWording): RunSignInsView {
  const notChecked = found.revoked - found.checked;
  const notes: string[] = [];
  if (notChecked > 0)
    notes.push(
      `${notChecked} of ${found.revoked} not checked yet: Microsoft Graph reads sign-in logs slowly (5 requests every 10 seconds). Check again to continue.`,
    );
  if (found.failure) {
    const why = signInsProblem(found.failure, wording);
    notes.push(`Some users’ logs couldn’t be read this time: ${why.title.toLowerCase()}.`);
  }
  const succeeded = found.succeeded.length;
  const verdict: RunSignInsView['verdict'] =
    succeeded > 0 ? 'succeeded' : notChecked > 0 ? 'partial' : found.failedOnly > 0 ? 'failedOnly' : 'none';
  const text =
    succeeded > 0
      ? `${succeeded} of ${found.checked} users checked show a success after the revoke: the password or a device may still be in the attacker’s hands — reset and disable.`
      : notChecked > 0
        ? `No success after the revoke among the ${found.checked} users checked so far.`
        : found.failedOnly > 0
          ? `No user shows a success after the revoke; ${found.failedOnly} had failed attempts.`
          : `No sign-in since the revoke for any of the ${found.revoked} users.`;
  return {
    runId: found.run.id,
    sourceLabel: `${found.run.source.kind} “${found.run.source.label}”`,
    checkedAt: found.checkedAt,
    revoked: found.revoked,
    checked: found.checked,
    failedOnly: found.failedOnly,
    verdict,
    verdictText: text,
    succeeded: found.succeeded.map((u) => ({
      name: u.displayName,
      userPrincipalName: u.userPrincipalName,
      count: u.successes,
      ...(u.lastSuccess ? { last: lineOf(u.lastSuccess, false) } : {}),
    })),
    ...(found.residualWindowEndsAt ? { residualWindowEndsAt: found.residualWindowEndsAt } : {}),
    notes,
  };
}

/** The run's evidence card when no user's logs could be read. */
export function runSignInsFailureView(
  runId: string,
  sourceLabel: string,
  revoked: number,
  failure: DirectoryFailure,
  now: Date,
  wording: EvidenceWording,
): RunSignInsView {
  const problem = signInsProblem(failure, wording);
  return {
    runId,
    sourceLabel,
    checkedAt: now.toISOString(),
    revoked,
    checked: 0,
    failedOnly: 0,
    verdict: 'partial',
    verdictText: problem.title,
    succeeded: [],
    notes: [],
    problem,
  };
}
