import assert from 'node:assert/strict';
import { classifyTarget, decide, mayEnableDisableDevices, type TargetProfile, type UserAction } from '../../emulator/graph/entraRoles';
import { ROLE_TEMPLATE as R } from '../../emulator/graph/roleTemplates';

/** The caller roles of docs/entra-roles.md plus Password Administrator, which must never revoke. */
const CALLERS = {
  'Helpdesk Admin': R.HelpdeskAdministrator,
  'Auth Admin': R.AuthenticationAdministrator,
  'User Admin': R.UserAdministrator,
  'Privileged Auth Admin': R.PrivilegedAuthenticationAdministrator,
  'Global Admin': R.GlobalAdministrator,
  'Password Admin': R.PasswordAdministrator,
} as const;
type CallerName = keyof typeof CALLERS;

const ALL_REVOKERS: CallerName[] = ['Helpdesk Admin', 'Auth Admin', 'User Admin', 'Privileged Auth Admin', 'Global Admin'];
const PRIVILEGED_ONLY: CallerName[] = ['Privileged Auth Admin', 'Global Admin'];

const EXCHANGE_ADMIN = '29232cdf-9323-42fd-ade2-1d097af3e4de';
const TEAMS_ADMIN = '69091246-20e8-4a56-aa4d-066075b2a7a8';
const APPLICATION_ADMIN = '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3';
const CUSTOM_ROLE = '0f3c1a52-7d9e-4b7a-9b51-3c2d1e0f9a88';
const DEFAULT_USER_ROLE = 'b79fbf4d-3ef9-4689-8143-76b194e85509';

/** "a Helpdesk Admin", "an Auth Admin". */
function a(name: string): string {
  return `${name.startsWith('Auth') ? 'an' : 'a'} ${name}`;
}

function holds(...roles: string[]): TargetProfile {
  return { roles, inRoleAssignableGroup: false };
}

/** Each row of "caller role against target role" (docs/entra-roles.md), with every role the row names. */
const REVOKE_ROWS: { row: string; targets: Record<string, TargetProfile>; allowed: CallerName[] }[] = [
  {
    row: 'no admin role',
    targets: { 'a plain member': holds(), 'a member whose wids hold only the default user role': holds(DEFAULT_USER_ROLE) },
    allowed: ALL_REVOKERS,
  },
  {
    row: 'no role, but member of a role-assignable group',
    targets: { 'a role-assignable group member': { roles: [], inRoleAssignableGroup: true } },
    allowed: PRIVILEGED_ONLY,
  },
  {
    row: 'a role scoped to a restricted-management AU',
    targets: { 'a restricted AU admin': { roles: [], inRoleAssignableGroup: false, hasRestrictedAdministrativeUnitRole: true } },
    allowed: PRIVILEGED_ONLY,
  },
  {
    row: 'Directory Readers, Guest Inviter, Password Admin',
    targets: {
      'Directory Readers': holds(R.DirectoryReaders),
      'Guest Inviter': holds(R.GuestInviter),
      'Password Admin': holds(R.PasswordAdministrator),
    },
    allowed: ALL_REVOKERS,
  },
  {
    row: 'Message Center Reader, Reports Reader, Usage Summary Reports Reader, User Experience Success Manager',
    targets: {
      'Message Center Reader': holds(R.MessageCenterReader),
      'Reports Reader': holds(R.ReportsReader),
      'Usage Summary Reports Reader': holds(R.UsageSummaryReportsReader),
      'User Experience Success Manager': holds(R.UserExperienceSuccessManager),
    },
    allowed: ALL_REVOKERS,
  },
  {
    row: 'Helpdesk Admin',
    targets: { 'Helpdesk Admin': holds(R.HelpdeskAdministrator) },
    allowed: ['Helpdesk Admin', 'User Admin', 'Privileged Auth Admin', 'Global Admin'],
  },
  {
    row: 'Groups Admin',
    targets: { 'Groups Admin': holds(R.GroupsAdministrator) },
    allowed: ['User Admin', 'Privileged Auth Admin', 'Global Admin'],
  },
  {
    row: 'User Admin',
    targets: { 'User Admin': holds(R.UserAdministrator) },
    allowed: ['User Admin', 'Privileged Auth Admin', 'Global Admin'],
  },
  {
    row: 'Auth Admin',
    targets: { 'Auth Admin': holds(R.AuthenticationAdministrator) },
    allowed: ['Auth Admin', 'Privileged Auth Admin', 'Global Admin'],
  },
  {
    row: 'Privileged Auth Admin, Privileged Role Admin, Global Admin',
    targets: {
      'Privileged Auth Admin': holds(R.PrivilegedAuthenticationAdministrator),
      'Privileged Role Admin': holds(R.PrivilegedRoleAdministrator),
      'Global Admin': holds(R.GlobalAdministrator),
    },
    allowed: PRIVILEGED_ONLY,
  },
  {
    row: 'any other built-in or custom role',
    targets: {
      'Security Admin': holds(R.SecurityAdministrator),
      'Exchange Admin': holds(EXCHANGE_ADMIN),
      'Teams Admin': holds(TEAMS_ADMIN),
      'Application Admin': holds(APPLICATION_ADMIN),
      'a custom role': holds(CUSTOM_ROLE),
    },
    allowed: PRIVILEGED_ONLY,
  },
];

describe("Entra's who-may-act-on-whom rules (emulated Graph)", function () {
  describe('revoking sign-in sessions, row by row of who may revoke whom', function () {
    for (const { row, targets, allowed } of REVOKE_ROWS) {
      for (const [targetName, target] of Object.entries(targets)) {
        for (const [callerName, callerRole] of Object.entries(CALLERS) as [CallerName, string][]) {
          const expected = allowed.includes(callerName);
          it(`when ${a(callerName)} revokes ${targetName} (row "${row}"), then it is ${expected ? 'allowed' : 'refused'}`, function () {
            assert.equal(decide('revokeSessions', [callerRole], target).allowed, expected);
          });
        }
      }
    }
  });

  it('when the caller holds no admin role (only the default user role), then no target can be revoked', function () {
    for (const target of [holds(), holds(R.DirectoryReaders), holds(R.GlobalAdministrator)]) {
      assert.deepEqual(decide('revokeSessions', [DEFAULT_USER_ROLE], target), { allowed: false, reason: 'noRoleWithPermission' });
      assert.deepEqual(decide('revokeSessions', [], target), { allowed: false, reason: 'noRoleWithPermission' });
    }
  });

  it('when a Password Administrator revokes anyone, then it is refused for lack of the permission, not because of the target', function () {
    assert.deepEqual(decide('revokeSessions', [R.PasswordAdministrator], holds()), { allowed: false, reason: 'noRoleWithPermission' });
  });

  it('when a Helpdesk Administrator revokes a Groups Administrator, then it is refused because the target is too privileged', function () {
    assert.deepEqual(decide('revokeSessions', [R.HelpdeskAdministrator], holds(R.GroupsAdministrator)), {
      allowed: false,
      reason: 'targetTooPrivileged',
    });
  });

  it('when a target holds two roles, then one caller role must cover both', function () {
    const target = holds(R.HelpdeskAdministrator, R.AuthenticationAdministrator);
    assert.equal(decide('revokeSessions', [R.HelpdeskAdministrator], target).allowed, false);
    assert.equal(decide('revokeSessions', [R.AuthenticationAdministrator], target).allowed, false);
    assert.equal(decide('revokeSessions', [R.HelpdeskAdministrator, R.AuthenticationAdministrator], target).allowed, false);
    assert.equal(decide('revokeSessions', [R.PrivilegedAuthenticationAdministrator], target).allowed, true);
  });

  it('when a limited-admin target is also in a role-assignable group, then only PAA or GA may act', function () {
    const target: TargetProfile = { roles: [R.HelpdeskAdministrator], inRoleAssignableGroup: true };
    assert.equal(decide('revokeSessions', [R.UserAdministrator], target).allowed, false);
    assert.equal(decide('revokeSessions', [R.GlobalAdministrator], target).allowed, true);
  });

  it('when the caller holds several roles, then the one that allows the action is named', function () {
    assert.deepEqual(decide('revokeSessions', [R.HelpdeskAdministrator, R.UserAdministrator], holds(R.GroupsAdministrator)), {
      allowed: true,
      viaRole: R.UserAdministrator,
    });
  });

  it('when role ids arrive in upper case, then they are still recognised', function () {
    assert.equal(decide('revokeSessions', [R.UserAdministrator.toUpperCase()], holds(R.HelpdeskAdministrator.toUpperCase())).allowed, true);
  });

  describe('resetting passwords (the same table, with the Password Admin column)', function () {
    const cases: [string, TargetProfile, boolean][] = [
      ['a plain member', holds(), true],
      ['Directory Readers', holds(R.DirectoryReaders), true],
      ['Guest Inviter', holds(R.GuestInviter), true],
      ['Password Admin', holds(R.PasswordAdministrator), true],
      ['Message Center Reader', holds(R.MessageCenterReader), false],
      ['Reports Reader', holds(R.ReportsReader), false],
      ['Helpdesk Admin', holds(R.HelpdeskAdministrator), false],
      ['User Admin', holds(R.UserAdministrator), false],
      ['Global Admin', holds(R.GlobalAdministrator), false],
    ];
    for (const [name, target, expected] of cases) {
      it(`when a Password Administrator resets the password of ${name}, then it is ${expected ? 'allowed' : 'refused'}`, function () {
        assert.equal(decide('resetPassword', [R.PasswordAdministrator], target).allowed, expected);
      });
    }

    it('when a Helpdesk Administrator resets a Helpdesk Administrator password, then it is allowed as for revocation', function () {
      assert.equal(decide('resetPassword', [R.HelpdeskAdministrator], holds(R.HelpdeskAdministrator)).allowed, true);
    });
  });

  describe('enabling and disabling accounts (the "sensitive actions" table)', function () {
    const cases: [CallerName, string, TargetProfile, boolean][] = [
      ['Helpdesk Admin', 'a plain member', holds(), false],
      ['Password Admin', 'a plain member', holds(), false],
      ['Auth Admin', 'a plain member', holds(), true],
      ['Auth Admin', 'a Helpdesk Admin', holds(R.HelpdeskAdministrator), false],
      ['User Admin', 'a plain member', holds(), true],
      ['User Admin', 'a Helpdesk Admin', holds(R.HelpdeskAdministrator), true],
      ['User Admin', 'a Global Admin', holds(R.GlobalAdministrator), false],
      ['Privileged Auth Admin', 'a Global Admin', holds(R.GlobalAdministrator), true],
      ['Global Admin', 'a Global Admin', holds(R.GlobalAdministrator), true],
      ['Global Admin', 'a role-assignable group member', { roles: [], inRoleAssignableGroup: true }, true],
    ];
    for (const [callerName, targetName, target, expected] of cases) {
      it(`when ${a(callerName)} disables ${targetName}, then it is ${expected ? 'allowed' : 'refused'}`, function () {
        const action: UserAction = 'enableDisable';
        assert.equal(decide(action, [CALLERS[callerName]], target).allowed, expected);
      });
    }
  });

  it('classifies targets into the three classes the confirmation card shows', function () {
    assert.equal(classifyTarget(holds()), 'nonAdmin');
    assert.equal(classifyTarget(holds(DEFAULT_USER_ROLE)), 'nonAdmin');
    assert.equal(classifyTarget(holds(R.ReportsReader)), 'limitedAdmin');
    assert.equal(classifyTarget(holds(R.HelpdeskAdministrator)), 'limitedAdmin');
    assert.equal(classifyTarget(holds(R.AuthenticationAdministrator)), 'limitedAdmin');
    assert.equal(classifyTarget(holds(R.SecurityAdministrator)), 'privilegedAdmin');
    assert.equal(classifyTarget(holds(R.GlobalAdministrator)), 'privilegedAdmin');
    assert.equal(classifyTarget({ roles: [], inRoleAssignableGroup: true }), 'privilegedAdmin');
  });

  it('lets only device-administering roles enable or disable devices', function () {
    assert.equal(mayEnableDisableDevices([R.CloudDeviceAdministrator]), true);
    assert.equal(mayEnableDisableDevices([R.IntuneAdministrator]), true);
    assert.equal(mayEnableDisableDevices([R.GlobalAdministrator]), true);
    assert.equal(mayEnableDisableDevices([R.UserAdministrator, R.SecurityAdministrator, R.HelpdeskAdministrator]), false);
  });
});
