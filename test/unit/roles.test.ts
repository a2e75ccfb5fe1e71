import assert from 'node:assert/strict';
import {
  REVOKING_ROLES,
  ROLE_TEMPLATE_ID as R,
  classifyTarget,
  describeCapability,
  mayRevoke,
  roleDisplayName,
  rolesThatMayRevoke,
  type DirectoryRole,
  type TargetTier,
} from '../../src/domain/roles';

const role = (templateId: string): DirectoryRole => ({ templateId, displayName: roleDisplayName(templateId) ?? 'Custom role' });

const HD = R.HelpdeskAdministrator;
const AA = R.AuthenticationAdministrator;
const UA = R.UserAdministrator;
const PAA = R.PrivilegedAuthenticationAdministrator;
const GA = R.GlobalAdministrator;
const CALLERS = [HD, AA, UA, PAA, GA] as const;
const CALLER_NAMES: Record<string, string> = { [HD]: 'Helpdesk', [AA]: 'Auth', [UA]: 'User', [PAA]: 'PAA', [GA]: 'GA' };

/**
 * Who may revoke whom (docs/entra-roles.md), row by row: the target's roles (and role-assignable-group membership), the
 * expected tier, and which of Helpdesk / Auth / User / PAA / GA may revoke.
 */
const TABLE: readonly { row: string; roles: string[]; group?: boolean; tier: TargetTier; allowed: string[] }[] = [
  { row: 'no admin role', roles: [], tier: 'nonAdmin', allowed: [HD, AA, UA, PAA, GA] },
  { row: 'only the default User role', roles: [R.User], tier: 'nonAdmin', allowed: [HD, AA, UA, PAA, GA] },
  { row: 'only the Guest User role', roles: [R.GuestUser], tier: 'nonAdmin', allowed: [HD, AA, UA, PAA, GA] },
  { row: 'no role, member of a role-assignable group', roles: [], group: true, tier: 'privilegedAdmin', allowed: [PAA, GA] },
  { row: 'Directory Readers', roles: [R.DirectoryReaders], tier: 'limitedAdmin', allowed: [HD, AA, UA, PAA, GA] },
  { row: 'Guest Inviter', roles: [R.GuestInviter], tier: 'limitedAdmin', allowed: [HD, AA, UA, PAA, GA] },
  { row: 'Password Administrator', roles: [R.PasswordAdministrator], tier: 'limitedAdmin', allowed: [HD, AA, UA, PAA, GA] },
  { row: 'Message Center Reader', roles: [R.MessageCenterReader], tier: 'limitedAdmin', allowed: [HD, AA, UA, PAA, GA] },
  { row: 'Reports Reader', roles: [R.ReportsReader], tier: 'limitedAdmin', allowed: [HD, AA, UA, PAA, GA] },
  { row: 'Usage Summary Reports Reader', roles: [R.UsageSummaryReportsReader], tier: 'limitedAdmin', allowed: [HD, AA, UA, PAA, GA] },
  { row: 'User Experience Success Manager', roles: [R.UserExperienceSuccessManager], tier: 'limitedAdmin', allowed: [HD, AA, UA, PAA, GA] },
  { row: 'Helpdesk Administrator', roles: [HD], tier: 'limitedAdmin', allowed: [HD, UA, PAA, GA] },
  { row: 'Groups Administrator', roles: [R.GroupsAdministrator], tier: 'limitedAdmin', allowed: [UA, PAA, GA] },
  { row: 'User Administrator', roles: [UA], tier: 'limitedAdmin', allowed: [UA, PAA, GA] },
  { row: 'Authentication Administrator', roles: [AA], tier: 'limitedAdmin', allowed: [AA, PAA, GA] },
  { row: 'Privileged Authentication Administrator', roles: [PAA], tier: 'privilegedAdmin', allowed: [PAA, GA] },
  { row: 'Privileged Role Administrator', roles: [R.PrivilegedRoleAdministrator], tier: 'privilegedAdmin', allowed: [PAA, GA] },
  { row: 'Global Administrator', roles: [GA], tier: 'privilegedAdmin', allowed: [PAA, GA] },
  {
    row: 'Security Administrator (any other built-in role)',
    roles: [R.SecurityAdministrator],
    tier: 'privilegedAdmin',
    allowed: [PAA, GA],
  },
  { row: 'an unknown or custom role', roles: ['00000000-1111-2222-3333-444444444444'], tier: 'privilegedAdmin', allowed: [PAA, GA] },
  // Several roles: every one of them must allow the caller.
  { row: 'Helpdesk Administrator and Authentication Administrator', roles: [HD, AA], tier: 'limitedAdmin', allowed: [PAA, GA] },
  {
    row: 'Helpdesk Administrator and Groups Administrator',
    roles: [HD, R.GroupsAdministrator],
    tier: 'limitedAdmin',
    allowed: [UA, PAA, GA],
  },
  {
    row: 'Directory Readers and Security Administrator',
    roles: [R.DirectoryReaders, R.SecurityAdministrator],
    tier: 'privilegedAdmin',
    allowed: [PAA, GA],
  },
  {
    row: 'Directory Readers, in a role-assignable group',
    roles: [R.DirectoryReaders],
    group: true,
    tier: 'privilegedAdmin',
    allowed: [PAA, GA],
  },
];

describe('Entra role rules for revoking sessions, caller role against target role', function () {
  for (const entry of TABLE) {
    const allowedNames = entry.allowed.map((id) => CALLER_NAMES[id]).join(', ');
    it(`when the target holds ${entry.row}, then it is ${entry.tier} and only ${allowedNames} may revoke`, function () {
      const roles = entry.roles.map(role);
      const group = entry.group === true;
      assert.equal(classifyTarget(roles, group), entry.tier);
      assert.deepEqual(
        rolesThatMayRevoke(roles, group).map((r) => r.templateId),
        entry.allowed,
      );
      for (const caller of CALLERS) {
        assert.equal(mayRevoke([caller], roles, group), entry.allowed.includes(caller), `caller ${String(CALLER_NAMES[caller])}`);
      }
      assert.equal(mayRevoke([R.PasswordAdministrator], roles, group), false, 'Password Administrator never may');
    });
  }

  it('lists the five revoking roles, least powerful first, and not Password Administrator', function () {
    assert.deepEqual(
      REVOKING_ROLES.map((r) => r.templateId),
      [HD, AA, UA, PAA, GA],
    );
    assert.deepEqual(
      REVOKING_ROLES.map((r) => r.displayName),
      [
        'Helpdesk Administrator',
        'Authentication Administrator',
        'User Administrator',
        'Privileged Authentication Administrator',
        'Global Administrator',
      ],
    );
    assert.ok(!REVOKING_ROLES.some((r) => r.templateId === R.PasswordAdministrator));
  });

  it('when the caller is a Password Administrator, then they may revoke no one, not even a plain user', function () {
    assert.equal(mayRevoke([R.PasswordAdministrator], [], false), false);
    assert.equal(mayRevoke([R.PasswordAdministrator, R.User], [], false), false);
  });

  it('when the caller holds no role or only default roles, then they may revoke no one', function () {
    assert.equal(mayRevoke([], [], false), false);
    assert.equal(mayRevoke([R.User], [], false), false);
  });

  it('when a caller holds several roles, then any one that allows it suffices', function () {
    assert.equal(mayRevoke([HD, AA], [role(AA)], false), true);
    assert.equal(mayRevoke([HD, R.PasswordAdministrator], [role(UA)], false), false);
  });

  it('compares template ids regardless of case', function () {
    assert.equal(mayRevoke([HD.toUpperCase()], [role(R.DirectoryReaders.toUpperCase())], false), true);
    assert.equal(classifyTarget([role(GA.toUpperCase())], false), 'privilegedAdmin');
    assert.equal(classifyTarget([role(HD.toUpperCase())], false), 'limitedAdmin');
  });

  it('freezes REVOKING_ROLES so no caller can change the rules', function () {
    assert.ok(Object.isFrozen(REVOKING_ROLES));
    assert.ok(REVOKING_ROLES.every((r) => Object.isFrozen(r)));
  });
});

describe('describing what a caller may revoke (whoami)', function () {
  it('when the caller is a Global Administrator, then they can revoke everyone', function () {
    const capability = describeCapability([GA, R.User]);
    assert.deepEqual(capability.tiers, ['nonAdmin', 'limitedAdmin', 'privilegedAdmin']);
    assert.match(capability.summary, /As Global Administrator, you can revoke anyone’s sessions, administrators included/);
  });

  it('when the caller is a Privileged Authentication Administrator, then they can revoke everyone', function () {
    assert.deepEqual(describeCapability([PAA]).tiers, ['nonAdmin', 'limitedAdmin', 'privilegedAdmin']);
  });

  it('when the caller is a Helpdesk Administrator, then non-admins and some limited admins, named', function () {
    const capability = describeCapability([HD]);
    assert.deepEqual(capability.tiers, ['nonAdmin', 'limitedAdmin']);
    assert.match(
      capability.summary,
      /non-admins and some limited admins: Password Administrators, Helpdesk Administrators and holders of reader roles/,
    );
    assert.doesNotMatch(capability.summary, /: [^.]*User Administrators/);
  });

  it('when the caller is an Authentication Administrator, then Authentication Administrators are named but not Helpdesk ones', function () {
    const { summary } = describeCapability([AA]);
    assert.match(summary, /Password Administrators, Authentication Administrators and holders of reader roles/);
    assert.doesNotMatch(summary, /Helpdesk Administrators/);
  });

  it('when the caller is a User Administrator, then Helpdesk, User and Groups Administrators are named but not Authentication ones', function () {
    const { summary } = describeCapability([UA]);
    assert.match(
      summary,
      /Password Administrators, Helpdesk Administrators, User Administrators, Groups Administrators and holders of reader roles/,
    );
    assert.doesNotMatch(summary, /Authentication Administrators/);
  });

  it('when the caller is only a Password Administrator, then nothing, and the summary says why', function () {
    const capability = describeCapability([R.PasswordAdministrator]);
    assert.deepEqual(capability.tiers, []);
    assert.match(capability.summary, /Password Administrator: that role can reset passwords but cannot revoke sessions/);
    assert.match(capability.summary, /PIM/);
  });

  it('when the caller has no role, then nothing', function () {
    const capability = describeCapability([]);
    assert.deepEqual(capability.tiers, []);
    assert.match(capability.summary, /no active Entra role that can revoke/);
    assert.doesNotMatch(capability.summary, /Password Administrator:/);
  });
});
