/**
 * Entra's built-in directory roles by name, with their template ids: how the permission table
 * (emulator/permissions.ts) names the roles an operation needs, and how the role rules
 * (entraRoles.ts) recognise them in a token's `wids` or a user's memberships. Template ids are
 * the same in every tenant: https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
 */

/** Built-in role template ids (= `wids` values = `roleTemplateId` = built-in `roleDefinitionId`). */
export const ROLE_TEMPLATE = {
  GlobalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  PrivilegedAuthenticationAdministrator: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
  PrivilegedRoleAdministrator: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  AuthenticationAdministrator: 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
  UserAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  HelpdeskAdministrator: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  PasswordAdministrator: '966707d0-3269-4727-9be2-8c3a10f19b9d',
  GroupsAdministrator: 'fdd7a751-b60b-444a-984c-02652fe8fa1c',
  DirectoryReaders: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
  GuestInviter: '95e79109-95c0-4d8e-aee3-d01accf2d47b',
  MessageCenterReader: '790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b',
  ReportsReader: '4a5d8f65-41da-4de4-8968-e035b65339cf',
  UsageSummaryReportsReader: '75934031-6c7e-415a-99d7-48dbd49e875e',
  UserExperienceSuccessManager: '27460883-1df1-4691-b032-3b79643e5e63',
  SecurityAdministrator: '194ae4cb-b126-40b2-bd5b-6091b380977d',
  CloudDeviceAdministrator: '7698a772-787b-4ac8-901f-60d6b08affd2',
  IntuneAdministrator: '3a2c62db-5318-420d-8d74-23affee5d9d5',
  GlobalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  SecurityReader: '5d6b6bb7-de71-4623-b4af-96380a352509',
  SecurityOperator: '5f2222b1-57c3-48ba-8ad5-d4759f1fde6f',
} as const;

/** A built-in role by its name in ROLE_TEMPLATE (how the permission table names roles). */
export type RoleName = keyof typeof ROLE_TEMPLATE;
