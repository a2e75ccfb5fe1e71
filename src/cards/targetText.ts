/**
 * How a target is described on every card that shows one. Strings are markdown-escaped
 * (see text.ts) unless the field says it holds date/time functions.
 */
import { listText, localDateAndTime, markdownIdentifier, markdownText, plainText } from './text';
import type { TargetTier, TargetView } from './views';

/** The tier as a person reads it. */
export const TIER_LABEL: Readonly<Record<TargetTier, string>> = {
  nonAdmin: 'Not an admin',
  limitedAdmin: 'Limited admin',
  privilegedAdmin: 'Privileged admin',
};

/** What a card binds for a target. */
export interface TargetText {
  /** display name, or the UPN when the directory has no display name */
  name: string;
  upn: string;
  hasJobTitle: boolean;
  jobTitle: string;
  hasDepartment: boolean;
  department: string;
  /** 'Enabled' | 'Disabled' */
  account: string;
  /** 'Member' | 'Guest' */
  userType: string;
  /** 'No admin roles' or 'Global Administrator, User Administrator' */
  roles: string;
  /** date/time functions, or 'No revocation on record' */
  sessionsValidSince: string;
  /** e.g. 'Privileged admin — needs Privileged Authentication Administrator or Global Administrator' */
  whoCanRevoke: string;
  isGuest: boolean;
  isSelf: boolean;
  isDisabled: boolean;
  isPrivileged: boolean;
}

function present(value: string | undefined): value is string {
  return value !== undefined && plainText(value) !== '';
}

/** The display name a person reads, falling back to the UPN (plain text, not escaped). */
export function targetName(target: Pick<TargetView, 'displayName' | 'userPrincipalName'>): string {
  return present(target.displayName) ? plainText(target.displayName) : plainText(target.userPrincipalName);
}

/** "Tier — needs Role A or Role B": which directory roles Entra lets revoke this target. */
export function whoCanRevoke(target: Pick<TargetView, 'tier' | 'rolesThatMayRevoke'>): string {
  const roles = target.rolesThatMayRevoke.filter(present).map(markdownText);
  const tier = TIER_LABEL[target.tier];
  return roles.length === 0 ? `${tier} — Entra decides when you confirm` : `${tier} — needs ${listText(roles, 'or')}`;
}

/** Everything a card shows about `target`. */
export function targetText(target: TargetView): TargetText {
  const roles = target.roleNames.filter(present).map(markdownText);
  return {
    name: markdownText(targetName(target)),
    upn: markdownIdentifier(target.userPrincipalName),
    hasJobTitle: present(target.jobTitle),
    jobTitle: markdownText(target.jobTitle ?? ''),
    hasDepartment: present(target.department),
    department: markdownText(target.department ?? ''),
    account: target.accountEnabled ? 'Enabled' : 'Disabled',
    userType: target.isGuest ? 'Guest' : 'Member',
    roles: roles.length === 0 ? 'No admin roles' : roles.join(', '),
    sessionsValidSince: localDateAndTime(target.sessionsValidFrom, 'No revocation on record'),
    whoCanRevoke: whoCanRevoke(target),
    isGuest: target.isGuest,
    isSelf: target.isSelf,
    isDisabled: !target.accountEnabled,
    isPrivileged: target.tier === 'privilegedAdmin',
  };
}

/** "Name (upn)" for plain-text places (fallbackText, action titles). */
export function targetPlainLabel(target: Pick<TargetView, 'displayName' | 'userPrincipalName'>): string {
  const name = targetName(target);
  const upn = plainText(target.userPrincipalName);
  return name === upn ? upn : `${name} (${upn})`;
}
