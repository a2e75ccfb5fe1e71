/**
 * The emulated tenant's directory: users, their directory roles and groups. Emulated Entra
 * reads it to mint tokens (oid, upn, wids) and emulated Graph serves and enforces it. It is
 * also the demo tenant, so its people are named for what they show.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ROLE_DISPLAY_NAMES } from './graph/entraRoles';
import { ROLE_TEMPLATE } from './graph/roleTemplates';
import { PASSWORD_METHOD_ID, PHONE_METHOD_ID, TenantSecurity } from './security';

/** Built-in directory role template ids and names: one table for the whole emulator (graph/entraRoles.ts). */
export const ROLE = ROLE_TEMPLATE;
export const ROLE_NAMES: Readonly<Record<string, string>> = ROLE_DISPLAY_NAMES;

/** The default-user role template id Entra adds to every member's wids. */
export const DEFAULT_USER_ROLE = 'b79fbf4d-3ef9-4689-8143-76b194e85509';

export interface DirectoryUser {
  readonly id: string;
  userPrincipalName: string;
  displayName: string;
  givenName?: string;
  surname?: string;
  mail?: string;
  jobTitle?: string;
  department?: string;
  officeLocation?: string;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  signInSessionsValidFromDateTime: string;
  /** Active tenant-wide directory role template ids. */
  roles: string[];
  /** The Teams user id (MRI) Teams uses for this person in chats: 29:... */
  readonly teamsId: string;
  /** Emulation switches: the next OBO for this user fails this way. */
  oboFailure?: 'consent_required' | 'interaction_required';
  /** Emulation switch: Teams cannot get this user a token silently (first-time consent). */
  ssoBlocked?: boolean;
  passwordProfile?: { forceChangePasswordNextSignIn: boolean; changedAt: string };
}

export interface DirectoryGroup {
  readonly id: string;
  displayName: string;
  description?: string;
  /** Role-assignable groups make their members privileged targets (docs/entra-roles.md). */
  isAssignableToRole: boolean;
  /** Member ids: users or groups. */
  members: string[];
}

export interface DirectoryDevice {
  readonly id: string;
  displayName: string;
  accountEnabled: boolean;
  /** Owner/registered user id. */
  readonly ownerId: string;
}

/** The demo tenant's fixed ids, so documentation and tests can name them. */
export const DEMO_TENANT_ID = '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10';
export const DEMO_DOMAIN = 'contoso.onmicrosoft.com';

function teamsIdFor(id: string): string {
  return `29:1${Buffer.from(id).toString('base64url').slice(0, 40)}`;
}

export interface NewUser {
  readonly id?: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly jobTitle?: string;
  readonly department?: string;
  readonly officeLocation?: string;
  readonly accountEnabled?: boolean;
  readonly userType?: 'Member' | 'Guest';
  readonly roles?: string[];
  readonly mail?: string;
}

export class Directory {
  readonly users = new Map<string, DirectoryUser>();
  readonly groups = new Map<string, DirectoryGroup>();
  readonly devices = new Map<string, DirectoryDevice>();
  /** Licences, sign-in log, risky users, authentication methods, PIM eligibility (security.ts). */
  readonly security = new TenantSecurity();

  constructor(
    readonly tenantId: string,
    readonly domain: string,
  ) {}

  addUser(user: NewUser): DirectoryUser {
    const id = user.id ?? randomUUID();
    const [given, ...rest] = user.displayName.split(' ');
    const created: DirectoryUser = {
      id,
      userPrincipalName: user.userPrincipalName,
      displayName: user.displayName,
      givenName: given,
      surname: rest.join(' ') || undefined,
      mail: user.mail ?? (user.userType === 'Guest' ? undefined : user.userPrincipalName),
      jobTitle: user.jobTitle,
      department: user.department,
      officeLocation: user.officeLocation,
      accountEnabled: user.accountEnabled ?? true,
      userType: user.userType ?? 'Member',
      signInSessionsValidFromDateTime: '2026-01-05T08:00:00Z',
      roles: [...(user.roles ?? [])],
      teamsId: teamsIdFor(id),
    };
    this.users.set(id, created);
    return created;
  }

  addGroup(group: {
    id?: string;
    displayName: string;
    description?: string;
    isAssignableToRole?: boolean;
    members: string[];
  }): DirectoryGroup {
    const created: DirectoryGroup = {
      id: group.id ?? randomUUID(),
      displayName: group.displayName,
      description: group.description,
      isAssignableToRole: group.isAssignableToRole ?? false,
      members: [...group.members],
    };
    this.groups.set(created.id, created);
    return created;
  }

  addDevice(device: { displayName: string; ownerId: string }): DirectoryDevice {
    const created: DirectoryDevice = { id: randomUUID(), displayName: device.displayName, accountEnabled: true, ownerId: device.ownerId };
    this.devices.set(created.id, created);
    return created;
  }

  /** Finds a user by object id or UPN (case-insensitive), as Graph's /users/{id|upn} does. */
  findUser(idOrUpn: string): DirectoryUser | undefined {
    const byId = this.users.get(idOrUpn.toLowerCase());
    if (byId) return byId;
    const wanted = idOrUpn.toLowerCase();
    for (const user of this.users.values()) if (user.userPrincipalName.toLowerCase() === wanted) return user;
    return undefined;
  }

  /** Finds a user by Teams id (29:...). */
  findByTeamsId(teamsId: string): DirectoryUser | undefined {
    for (const user of this.users.values()) if (user.teamsId === teamsId) return user;
    return undefined;
  }

  /** Finds a user by UPN prefix or display name, for tests and the demo ("adele" → Adele Vance). */
  user(nameOrUpn: string): DirectoryUser {
    const wanted = nameOrUpn.toLowerCase();
    const found =
      this.findUser(nameOrUpn) ??
      [...this.users.values()].find(
        (u) => u.userPrincipalName.toLowerCase().startsWith(`${wanted}@`) || u.displayName.toLowerCase() === wanted,
      );
    if (!found) throw new Error(`No user ${nameOrUpn} in the emulated directory`);
    return found;
  }

  /** Groups the object belongs to, directly and through nesting. */
  transitiveGroupsOf(objectId: string): DirectoryGroup[] {
    const result = new Map<string, DirectoryGroup>();
    const visit = (id: string): void => {
      for (const group of this.groups.values()) {
        if (group.members.includes(id) && !result.has(group.id)) {
          result.set(group.id, group);
          visit(group.id);
        }
      }
    };
    visit(objectId);
    return [...result.values()];
  }

  /** Users in a group, nested groups expanded. */
  transitiveUsersOf(groupId: string): DirectoryUser[] {
    const seen = new Set<string>();
    const users = new Map<string, DirectoryUser>();
    const visit = (id: string): void => {
      if (seen.has(id)) return;
      seen.add(id);
      const group = this.groups.get(id);
      if (!group) return;
      for (const member of group.members) {
        const user = this.users.get(member);
        if (user) users.set(user.id, user);
        else visit(member);
      }
    };
    visit(groupId);
    return [...users.values()];
  }
}

/**
 * The demo tenant. Every role in Entra's "who may revoke whom" table has a holder, so the
 * demo and the tests can show each answer Entra gives. `now` places the security history
 * (methods registered, an attacker's sign-ins) relative to when the demo runs.
 */
export function seedDirectory(tenantId: string = DEMO_TENANT_ID, domain: string = DEMO_DOMAIN, now: Date = new Date()): Directory {
  const d = new Directory(tenantId, domain);
  const at = (local: string): string => `${local}@${domain}`;
  // Fixed ids for the people docs and tests name.
  const adele = d.addUser({
    id: '6e7b768e-07e2-4810-8459-485f84f8f204',
    userPrincipalName: at('adele'),
    displayName: 'Adele Vance',
    jobTitle: 'Retail Manager',
    department: 'Finance',
    officeLocation: '18/2111',
  });
  const alex = d.addUser({
    id: 'e3d0513b-449e-4198-ba6f-bd97ae7cae85',
    userPrincipalName: at('alex'),
    displayName: 'Alex Wilber',
    jobTitle: 'Marketing Assistant',
    department: 'Marketing',
    officeLocation: '131/1104',
  });
  d.addUser({
    id: '5a1f0c1e-2b1d-4c55-9a3e-7d2f9d0c6b11',
    userPrincipalName: at('megan.bowen'),
    displayName: 'Megan Bowen',
    jobTitle: 'Marketing Manager',
    department: 'Marketing',
  });
  d.addUser({
    id: '0b7d6c4a-91e3-4f2a-8d6e-3c5b7a9e1f22',
    userPrincipalName: at('megan.bowman'),
    displayName: 'Megan Bowman',
    jobTitle: 'Accountant',
    department: 'Finance',
  });
  d.addUser({
    id: 'c1a2b3c4-d5e6-4f70-8a91-b2c3d4e5f633',
    userPrincipalName: at('lee.gu'),
    displayName: 'Lee Gu',
    jobTitle: 'Director',
    department: 'Finance',
  });
  d.addUser({
    id: 'a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c44',
    userPrincipalName: at("liam.o'brien"),
    displayName: "Liam O'Brien",
    jobTitle: 'Sales Representative',
    department: 'Sales',
  });
  d.addUser({
    id: 'f0e1d2c3-b4a5-4968-8776-655443322155',
    userPrincipalName: at('dan.disabled'),
    displayName: 'Dan Dormant',
    jobTitle: 'Former Contractor',
    department: 'Sales',
    accountEnabled: false,
  });
  d.addUser({
    id: '1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a66',
    userPrincipalName: at('$svc-backup'),
    displayName: 'Backup Service',
    jobTitle: 'Service account',
    department: 'IT',
  });
  d.addUser({
    id: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c77',
    userPrincipalName: `gina_fabrikam.com#EXT#@${domain}`,
    mail: 'gina@fabrikam.com',
    displayName: 'Gina Guest (Fabrikam)',
    userType: 'Guest',
    jobTitle: 'Consultant',
  });
  // Staff who use the bot, one per role that matters.
  const helen = d.addUser({
    id: '3b4c5d6e-7f80-4a9b-8c1d-2e3f4a5b6c88',
    userPrincipalName: at('helen'),
    displayName: 'Helen Helpdesk',
    jobTitle: 'Service Desk Agent',
    department: 'IT',
    roles: [ROLE.HelpdeskAdministrator],
  });
  const uma = d.addUser({
    id: '4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99',
    userPrincipalName: at('uma'),
    displayName: 'Uma Useradmin',
    jobTitle: 'Identity Engineer',
    department: 'IT',
    roles: [ROLE.UserAdministrator],
  });
  const paul = d.addUser({
    id: '5d6e7f80-91a2-4cbd-8e3f-4a5b6c7d8eaa',
    userPrincipalName: at('paul'),
    displayName: 'Paul Password',
    jobTitle: 'Service Desk Agent',
    department: 'IT',
    roles: [ROLE.PasswordAdministrator],
  });
  d.addUser({
    id: '6e7f8091-a2b3-4dce-9f4a-5b6c7d8e9fbb',
    userPrincipalName: at('aaron'),
    displayName: 'Aaron Authadmin',
    jobTitle: 'Identity Engineer',
    department: 'IT',
    roles: [ROLE.AuthenticationAdministrator],
  });
  const priya = d.addUser({
    id: '7f8091a2-b3c4-4edf-8a5b-6c7d8e9fa0cc',
    userPrincipalName: at('priya'),
    displayName: 'Priya Privauth',
    jobTitle: 'Security Engineer',
    department: 'Security',
    roles: [ROLE.PrivilegedAuthenticationAdministrator],
  });
  d.addUser({
    id: '8091a2b3-c4d5-4f0a-9b6c-7d8e9fa0b1dd',
    userPrincipalName: at('grace'),
    displayName: 'Grace Global',
    jobTitle: 'CIO',
    department: 'IT',
    roles: [ROLE.GlobalAdministrator],
  });
  const sam = d.addUser({
    id: '91a2b3c4-d5e6-4a1b-8c7d-8e9fa0b1c2ee',
    userPrincipalName: at('sam'),
    displayName: 'Sam Secadmin',
    jobTitle: 'Security Analyst',
    department: 'Security',
    roles: [ROLE.SecurityAdministrator],
  });
  d.addUser({
    id: 'a2b3c4d5-e6f7-4b2c-9d8e-9fa0b1c2d3ff',
    userPrincipalName: at('gus'),
    displayName: 'Gus Groupsadmin',
    jobTitle: 'Collaboration Admin',
    department: 'IT',
    roles: [ROLE.GroupsAdministrator],
  });
  d.addUser({
    id: 'b3c4d5e6-f708-4c3d-8e9f-a0b1c2d3e400',
    userPrincipalName: at('rita'),
    displayName: 'Rita Reader',
    jobTitle: 'Auditor',
    department: 'Finance',
    roles: [ROLE.DirectoryReaders],
  });
  const finance = [...d.users.values()].filter((u) => u.department === 'Finance').map((u) => u.id);
  const financeTeam = d.addGroup({
    id: 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f01',
    displayName: 'Finance Team',
    description: 'Everyone in Finance',
    members: finance,
  });
  d.addGroup({
    id: 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f02',
    displayName: 'IT Helpdesk',
    description: 'Service desk staff',
    members: [helen.id, paul.id, uma.id],
  });
  d.addGroup({
    id: 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f03',
    displayName: 'Security Operations',
    description: 'Approvers of revocations',
    members: [priya.id, sam.id],
  });
  d.addGroup({
    id: 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f04',
    displayName: 'All Staff',
    description: 'Nested: Finance Team plus Marketing',
    members: [financeTeam.id, alex.id],
  });
  // A role-assignable group: its members are privileged targets even without a role.
  d.addGroup({
    id: 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f05',
    displayName: 'Tier 0 Operators',
    isAssignableToRole: true,
    members: ['c1a2b3c4-d5e6-4f70-8a91-b2c3d4e5f633'],
  });
  d.addDevice({ displayName: 'ADELE-LAPTOP', ownerId: adele.id });
  d.addDevice({ displayName: "Adele's iPhone", ownerId: adele.id });
  seedSecurity(d, now);
  return d;
}

/** The compromised demo user's fixed id. */
export const COMPROMISED_USER_ID = 'c0ffee00-5eed-4bad-8c0d-00000000c0de';

/**
 * Security history for the demo tenant: every member has a password and Microsoft Authenticator
 * (their default method) registered long ago; Uma is eligible for Privileged Authentication
 * Administrator in PIM; and Connie Compromised, whose password an attacker has: they registered
 * their own phone yesterday, signed in after yesterday's revoke, and try again after every revoke.
 */
function seedSecurity(d: Directory, now: Date): void {
  const days = (n: number): string => new Date(now.getTime() - n * 24 * 3600_000).toISOString();
  const security = d.security;
  const connie = d.addUser({
    id: COMPROMISED_USER_ID,
    userPrincipalName: `connie@${d.domain}`,
    displayName: 'Connie Compromised',
    jobTitle: 'Accounts Payable Clerk',
    department: 'Operations',
  });
  for (const user of d.users.values()) {
    if (user.userType !== 'Member') continue;
    security.addMethod(user.id, {
      id: PASSWORD_METHOD_ID,
      odataType: '#microsoft.graph.passwordAuthenticationMethod',
      createdDateTime: null,
      properties: { password: null },
    });
    const authenticator = security.addMethod(user.id, {
      id: stableGuid(`authenticator:${user.id}`),
      odataType: '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
      createdDateTime: days(200),
      properties: { displayName: `${user.displayName.split(' ')[0] ?? 'Work'}'s phone`, deviceTag: 'SoftwareTokenActivated' },
    });
    security.defaultMethod.set(user.id, authenticator.id);
  }
  security.addMethod(connie.id, {
    id: PHONE_METHOD_ID.mobile,
    odataType: '#microsoft.graph.phoneAuthenticationMethod',
    createdDateTime: days(300),
    properties: { phoneNumber: '+1 4255550100', phoneType: 'mobile', smsSignInState: 'notAllowedByPolicy' },
  });
  // The attacker's own phone, registered yesterday so their MFA prompts go to them.
  security.addMethod(connie.id, {
    id: PHONE_METHOD_ID.alternateMobile,
    odataType: '#microsoft.graph.phoneAuthenticationMethod',
    createdDateTime: days(1),
    properties: { phoneNumber: '+234 8035550199', phoneType: 'alternateMobile', smsSignInState: 'notAllowedByPolicy' },
  });
  const attacker = { ipAddress: '198.51.100.23', city: 'Lagos', countryOrRegion: 'NG' };
  security.attackers.set(connie.id, { place: attacker, appDisplayName: 'OfficeHome', knewPasswordAt: days(3) });
  // Yesterday's revoke did not keep them out: they signed in again twenty minutes later.
  const revokedYesterday = new Date(now.getTime() - 24 * 3600_000);
  connie.signInSessionsValidFromDateTime = `${revokedYesterday.toISOString().slice(0, 19)}Z`;
  security.recordSignIn(connie, { at: new Date(revokedYesterday.getTime() - 3600_000) });
  security.recordSignIn(connie, { at: new Date(revokedYesterday.getTime() + 20 * 60_000), appDisplayName: 'OfficeHome', place: attacker });
  security.riskyUsers.set(connie.id, {
    riskLevel: 'medium',
    riskState: 'atRisk',
    riskDetail: 'none',
    riskLastUpdatedDateTime: revokedYesterday.toISOString(),
  });
  security.eligibleRoles.set('4c5d6e7f-8091-4bac-9d2e-3f4a5b6c7d99', [ROLE.PrivilegedAuthenticationAdministrator]);
}

/** Options of addBulkPopulation. */
export interface BulkPopulationOptions {
  /** How many users to add (the privileged and limited admins among them). */
  readonly count: number;
  /** Their department (searchable with $filter=department eq '…'). */
  readonly department?: string;
  /** A group to put them in: an existing group with this display name gets them, otherwise one is created. */
  readonly group?: string;
  /** How many of them hold a privileged role (Security Administrator: a User Administrator gets 403). Default 1. */
  readonly privileged?: number;
  /** How many hold a limited admin role (Password Administrator: revocable by Helpdesk/User Administrators). Default 0. */
  readonly limitedAdmins?: number;
  /** How many of the group's users sit in a nested subgroup instead of the group itself. Default 0. */
  readonly nested?: number;
  /** Distinguishes the generated names and ids of several populations. Default the department or group name. */
  readonly label?: string;
}

export interface BulkPopulation {
  readonly users: DirectoryUser[];
  readonly privileged: DirectoryUser[];
  readonly limitedAdmins: DirectoryUser[];
  readonly group?: DirectoryGroup;
  readonly nestedGroup?: DirectoryGroup;
}

/** A GUID derived from text, so generated populations are the same on every run. */
function stableGuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Adds `count` generated users for bulk runs: in a department and/or a group, the first
 * `privileged` of them Security Administrators (privileged targets) and the next `limitedAdmins`
 * Password Administrators; the last `nested` of a group's users in a nested subgroup. Names and
 * ids are stable for the same label: "HP User 007", hp.user007@domain.
 */
export function addBulkPopulation(directory: Directory, options: BulkPopulationOptions): BulkPopulation {
  const label = options.label ?? options.department ?? options.group ?? 'Bulk';
  const slug =
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '.')
      .replace(/^\.|\.$/g, '') || 'bulk';
  const privilegedCount = Math.min(options.count, Math.max(0, options.privileged ?? 1));
  const limitedCount = Math.min(options.count - privilegedCount, Math.max(0, options.limitedAdmins ?? 0));
  const width = Math.max(3, String(options.count).length);
  const users: DirectoryUser[] = [];
  for (let i = 1; i <= options.count; i += 1) {
    const n = String(i).padStart(width, '0');
    const roles =
      i <= privilegedCount ? [ROLE.SecurityAdministrator] : i <= privilegedCount + limitedCount ? [ROLE.PasswordAdministrator] : [];
    users.push(
      directory.addUser({
        id: stableGuid(`bulk:${directory.tenantId}:${slug}:${i}`),
        userPrincipalName: `${slug}.user${n}@${directory.domain}`,
        displayName: `${label} User ${n}`,
        jobTitle: roles.length > 0 ? 'Administrator' : 'Staff',
        department: options.department,
        roles,
      }),
    );
  }
  let group: DirectoryGroup | undefined;
  let nestedGroup: DirectoryGroup | undefined;
  if (options.group !== undefined) {
    const nestedCount = Math.min(users.length, Math.max(0, options.nested ?? 0));
    const direct = users.slice(0, users.length - nestedCount).map((u) => u.id);
    const inner = users.slice(users.length - nestedCount).map((u) => u.id);
    if (inner.length > 0)
      nestedGroup = directory.addGroup({
        id: stableGuid(`bulk-group:${slug}:nested`),
        displayName: `${options.group} (nested)`,
        members: inner,
      });
    const members = [...direct, ...(nestedGroup ? [nestedGroup.id] : [])];
    group = [...directory.groups.values()].find((g) => g.displayName === options.group);
    if (group) group.members.push(...members);
    else
      group = directory.addGroup({
        id: stableGuid(`bulk-group:${slug}`),
        displayName: options.group,
        description: `Generated for bulk runs (${options.count} users)`,
        members,
      });
  }
  return {
    users,
    privileged: users.slice(0, privilegedCount),
    limitedAdmins: users.slice(privilegedCount, privilegedCount + limitedCount),
    group,
    nestedGroup,
  };
}
