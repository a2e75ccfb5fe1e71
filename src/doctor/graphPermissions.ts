/**
 * What each delegated Graph permission the bot asks for is used for, and what a tenant without
 * admin consent for it loses; the doctor prints it for the configured scope sets. Consent itself
 * shows only with a person's token (say `whoami` to the bot): the doctor has none and the bot has
 * no application permissions, so this checks the settings, not the tenant.
 */
import { DEFAULT_SCOPES, permissionName, type Config, type ScopeSetName } from '../config/config';
import type { CheckResult } from './checks';

interface ScopeSetGuide {
  /** The feature the set serves, e.g. "the devices step". */
  readonly feature: string;
  readonly scopes: (config: Config) => readonly string[];
  /** Each permission of the default set: what the bot does with it. */
  readonly uses: Readonly<Record<string, string>>;
  /** What happens when the tenant has not consented to every permission of the set (one exchange asks for all). */
  readonly without: string;
}

/** docs/going-live.md §3 in the doctor's words. */
export const SCOPE_SET_GUIDE: Readonly<Record<ScopeSetName, ScopeSetGuide>> = {
  GRAPH_SCOPES: {
    feature: 'lookups and revocation',
    scopes: (config) => config.graphScopes,
    uses: {
      'User.RevokeSessions.All': 'revokes sessions (the least privileged permission for revokeSignInSessions)',
      'User.Read.All': "reads the target's profile, account state, user type, last revocation and role memberships for the card",
    },
    without: 'nothing works (lookups and revocations end with "the app isn’t approved")',
  },
  GROUP_SCOPES: {
    feature: 'group runs (revoke group "…")',
    scopes: (config) => config.groupScopes,
    uses: { 'GroupMember.Read.All': "reads a group's members" },
    without: 'only group runs are refused; everything else keeps working',
  },
  CONTAINMENT_SCOPES: {
    feature: 'the "disable the account" and "reset the password" steps',
    scopes: (config) => config.containmentScopes,
    uses: {
      'User.EnableDisableAccount.All': 'disables the account, together with User.Read.All (the least privileged pair Microsoft documents)',
      'User.Read.All': 'completes that pair',
      'User-PasswordProfile.ReadWrite.All': 'resets the password (the least privileged permission for passwordProfile)',
    },
    without: 'those two steps say the app isn’t approved; revocation and the devices step still run',
  },
  DEVICE_SCOPES: {
    feature: 'the "disable their devices" step',
    scopes: (config) => config.deviceScopes,
    uses: {
      'User.Read.All': "lists the target's registered devices",
      'Device.Read.All': 'reads whether each device is already disabled (without it Graph hides device details)',
      'Directory.AccessAsUser.All': 'disables each device: the only delegated permission Microsoft documents for PATCH /devices/{id}',
    },
    without: 'only the devices step says the app isn’t approved; everything else still runs',
  },
  AUDIT_SCOPES: {
    feature: 'Check sign-ins after a revoke',
    scopes: (config) => config.auditScopes,
    uses: {
      'AuditLog.Read.All': "reads the target's sign-in logs since the revoke (the least privileged permission for GET /auditLogs/signIns)",
    },
    without: 'Check sign-ins says the app isn’t approved; revocation and containment still run',
  },
  RISK_SCOPES: {
    feature: 'Identity Protection: "confirm compromised", "dismiss risk" on alerts and the `risky` inbox',
    scopes: (config) => config.riskScopes,
    uses: {
      'IdentityRiskyUser.ReadWrite.All':
        'lists the users at risk, confirms a user compromised and dismisses a user’s risk in Identity Protection (the only delegated permission for riskyUsers/confirmCompromised and /dismiss)',
    },
    without: 'only that step says the app isn’t approved; everything else still runs',
  },
  AUTH_METHOD_SCOPES: {
    feature: 'reviewing and removing sign-in methods',
    scopes: (config) => config.authMethodScopes,
    uses: {
      'UserAuthenticationMethod.ReadWrite.All':
        "lists the target's authentication methods and removes the ones ticked (reading needs UserAuthenticationMethod.Read.All, removing this one)",
    },
    without: 'the card says the methods can’t be listed and none can be removed; everything else still runs',
  },
  PIM_SCOPES: {
    feature: 'the eligible roles on the "can I?" line',
    scopes: (config) => config.pimScopes,
    uses: {
      'RoleEligibilitySchedule.Read.Directory':
        "reads the requester's own eligible roles in Privileged Identity Management (the least privileged permission for filterByCurrentUser)",
    },
    without: 'the "can I?" line leaves out roles the requester could activate; everything else still runs',
  },
};

/** Permissions Graph has only for applications: Entra refuses them on behalf of a user (AADSTS70011), failing the whole set. */
const APPLICATION_ONLY: Readonly<Record<string, string>> = {
  'device.readwrite.all':
    'Device.ReadWrite.All exists only as an application permission; delegated device updates need Directory.AccessAsUser.All (DEVICE_SCOPES)',
};

/** The doctor's name for a set's check. */
export function permissionCheckName(set: ScopeSetName): string {
  return `Graph permissions for ${SCOPE_SET_GUIDE[set].feature} (${set})`;
}

/** What the bot does with a permission of a set (names compare case-insensitively, as Entra's do). */
function useOf(guide: ScopeSetGuide, permission: string): string | undefined {
  return Object.entries(guide.uses).find(([name]) => name.toLowerCase() === permission.toLowerCase())?.[1];
}

/** One result per scope set: each permission with what it is for, and what a tenant without consent loses. */
export function checkGraphPermissions(config: Config): CheckResult[] {
  return (Object.keys(SCOPE_SET_GUIDE) as ScopeSetName[]).map((set) => {
    const guide = SCOPE_SET_GUIDE[set];
    const name = permissionCheckName(set);
    const configured = guide.scopes(config).map(permissionName);
    const lower = new Set(configured.map((p) => p.toLowerCase()));
    const refused = configured.map((p) => APPLICATION_ONLY[p.toLowerCase()]).filter((why): why is string => why !== undefined);
    const missing = DEFAULT_SCOPES[set].filter((p) => !lower.has(p.toLowerCase()));
    const described = configured.map(
      (p) => `${p} — ${useOf(guide, p) ?? 'not used by Session Revoker (it only adds to what an admin must consent to)'}`,
    );
    const summary = `${described.join('; ')}. Without admin consent for all of them: ${guide.without}.`;
    if (refused.length > 0) {
      return {
        name,
        status: 'fail',
        detail: `${refused.join('; ')}. Entra refuses on-behalf-of requests that ask for it (AADSTS70011), so every attempt at ${guide.feature} fails.`,
        fix: `Set ${set}=${DEFAULT_SCOPES[set].join(' ')} (the default), or unset it, and grant admin consent for those permissions.`,
      };
    }
    if (missing.length > 0) {
      const why = missing.map((p) => `${p}, which ${useOf(guide, p) ?? 'it needs'}`).join('; ');
      return {
        name,
        status: 'fail',
        detail: `${set} lacks ${why}: Graph refuses that part. ${summary}`,
        fix: `Add ${missing.join(' ')} to ${set}, or unset it for the default (${DEFAULT_SCOPES[set].join(' ')}).`,
      };
    }
    return { name, status: 'pass', detail: summary };
  });
}
