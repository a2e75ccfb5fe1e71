/**
 * View-model fixtures for the card golden tests: ordinary people, a guest, a privileged admin,
 * yourself, a disabled account, very long text and hostile text. Times are fixed so the goldens
 * are stable.
 */
import type { AlertCase } from '../../src/domain/alert';
import type { AdaptiveCard, CardName, CardRenderer } from '../../src/cards/render';
import type { AuditView } from '../../src/cards/auditCard';
import type {
  ApprovalView,
  BulkView,
  ClosedView,
  FailedView,
  LookupView,
  PickListView,
  RunSignInsView,
  SignInsView,
  SucceededView,
  TargetView,
  WhoAmIView,
  WorkingView,
} from '../../src/cards/views';

/** Template syntax a hostile value may carry; the only `${` a rendered card may contain (and only where a value is shown). */
export const HOSTILE_TEMPLATE_TEXT = ['${evil}', '${$root.requestId}'] as const;

/** Hostile strings, each free of control characters, so "shows literally" means "shows exactly this". */
export const HOSTILE = {
  name: '${evil} {{DATE(2020-01-01T00:00:00Z)}} **bold** [link](http://x.example/a_b) <b>html</b>',
  jobTitle: '- _italic_ ~~gone~~ `code` &amp; ![img](http://x.example/i.png)',
  department: '1. ${$root.requestId} \\*not\\* www.evil.com',
  requester: '# Heading > {{TIME(2020-01-01T00:00:00Z)}} evil.com/reset',
  role: '**Custom** [role](https://x.example) <script>',
  query: '${$root.pickId} **x** [y](http://x.example)',
} as const;

const ROLES_FOR_NON_ADMIN = [
  'Helpdesk Administrator',
  'Authentication Administrator',
  'User Administrator',
  'Privileged Authentication Administrator',
  'Global Administrator',
];
const ROLES_FOR_PRIVILEGED = ['Privileged Authentication Administrator', 'Global Administrator'];

/** Targets by fixture name. */
export const TARGETS = {
  member: {
    id: '2d3f1c4e-0000-4000-8000-00000000a001',
    displayName: 'Adele Vance',
    userPrincipalName: 'adele_vance@contoso.com',
    jobTitle: 'Retail Manager',
    department: 'R&D',
    accountEnabled: true,
    isGuest: false,
    tier: 'nonAdmin',
    roleNames: [],
    rolesThatMayRevoke: ROLES_FOR_NON_ADMIN,
    sessionsValidFrom: '2024-03-01T08:30:00Z',
    isSelf: false,
  },
  guest: {
    id: '2d3f1c4e-0000-4000-8000-00000000a002',
    displayName: 'Alex Partner (Fabrikam)',
    userPrincipalName: 'alex_fabrikam.com#EXT#@contoso.onmicrosoft.com',
    accountEnabled: true,
    isGuest: true,
    tier: 'nonAdmin',
    roleNames: [],
    rolesThatMayRevoke: ROLES_FOR_NON_ADMIN,
    isSelf: false,
  },
  privileged: {
    id: '2d3f1c4e-0000-4000-8000-00000000a003',
    displayName: 'Megan Bowen',
    userPrincipalName: 'megan@contoso.com',
    jobTitle: 'IT Director',
    department: 'IT',
    accountEnabled: true,
    isGuest: false,
    tier: 'privilegedAdmin',
    roleNames: ['Global Administrator', 'Security Administrator'],
    rolesThatMayRevoke: ROLES_FOR_PRIVILEGED,
    sessionsValidFrom: '2024-06-12T17:05:09.517Z',
    isSelf: false,
  },
  self: {
    id: '2d3f1c4e-0000-4000-8000-00000000a004',
    displayName: 'Helen Helpdesk',
    userPrincipalName: 'helen@contoso.com',
    jobTitle: 'Service Desk Analyst',
    department: 'IT',
    accountEnabled: true,
    isGuest: false,
    tier: 'limitedAdmin',
    roleNames: ['Helpdesk Administrator'],
    rolesThatMayRevoke: [
      'Authentication Administrator',
      'User Administrator',
      'Privileged Authentication Administrator',
      'Global Administrator',
    ],
    sessionsValidFrom: '2024-01-15T09:00:00+01:00',
    isSelf: true,
  },
  disabled: {
    id: '2d3f1c4e-0000-4000-8000-00000000a005',
    displayName: 'Diego Siciliani',
    userPrincipalName: 'diego@contoso.com',
    jobTitle: 'HR Manager',
    accountEnabled: false,
    isGuest: false,
    tier: 'nonAdmin',
    roleNames: [],
    rolesThatMayRevoke: ROLES_FOR_NON_ADMIN,
    sessionsValidFrom: '2023-11-30T23:59:59Z',
    isSelf: false,
  },
  long: {
    id: '2d3f1c4e-0000-4000-8000-00000000a006',
    displayName: `Maximiliana Alexandra Konstantinopoulou-Wolfeschlegelsteinhausenbergerdorff ${'von '.repeat(30)}der Zweite`,
    userPrincipalName: 'maximiliana.alexandra.konstantinopoulou-wolfeschlegelsteinhausenbergerdorff@subsidiary.europe.contoso.com',
    jobTitle:
      'Senior Principal Vice President of Strategic Cross-Functional Regional Operational Excellence Initiatives (EMEA, APAC & LATAM)',
    department: 'Office of the Chief Executive — Global Strategy, Transformation, Mergers & Acquisitions',
    accountEnabled: true,
    isGuest: false,
    tier: 'limitedAdmin',
    roleNames: [
      'User Administrator',
      'Groups Administrator',
      'License Administrator',
      'Password Administrator',
      'Reports Reader',
      'Message Center Reader',
    ],
    rolesThatMayRevoke: ['Privileged Authentication Administrator', 'Global Administrator'],
    sessionsValidFrom: '2024-02-29T12:00:00Z',
    isSelf: false,
  },
  hostile: {
    id: '2d3f1c4e-0000-4000-8000-00000000a007',
    displayName: HOSTILE.name,
    userPrincipalName: 'mallory_x@contoso.com',
    jobTitle: HOSTILE.jobTitle,
    department: HOSTILE.department,
    accountEnabled: true,
    isGuest: false,
    tier: 'limitedAdmin',
    roleNames: [HOSTILE.role],
    rolesThatMayRevoke: [HOSTILE.role, 'Global Administrator'],
    sessionsValidFrom: '2024-04-01T10:00:00Z',
    isSelf: false,
  },
} satisfies Record<string, TargetView>;

/** Target fixture names. */
export type TargetFixture = keyof typeof TARGETS;

/** Opaque ids the views use; the only values an Action.Execute's data may carry. */
export const IDS = {
  requestId: 'req-7f3a9c',
  pickId: 'pick-51d2e0',
  graphRequestId: '0c7e5b7a-1d3e-4b6f-9a8e-5f0d4c3b2a10',
  correlationId: 'corr-3b2a10',
} as const;

const REQUESTER = 'Helen Helpdesk';

function requesterFor(fixture: TargetFixture): string {
  return fixture === 'hostile' ? HOSTILE.requester : REQUESTER;
}

/** One card rendered from one fixture. */
export interface CardCase {
  card: CardName;
  fixture: string;
  render: (renderer: CardRenderer) => AdaptiveCard;
}

function lookupView(fixture: TargetFixture): LookupView {
  return {
    requestId: IDS.requestId,
    target: TARGETS[fixture],
    requesterName: requesterFor(fixture),
    expiresAt: '2024-07-01T10:15:00.000Z',
  };
}

function workingView(fixture: TargetFixture): WorkingView {
  return { target: TARGETS[fixture], requesterName: requesterFor(fixture), message: 'Revoking sessions…' };
}

function succeededView(fixture: TargetFixture): SucceededView {
  return {
    target: TARGETS[fixture],
    requestId: IDS.requestId,
    revokedAt: '2024-07-01T10:05:42.318Z',
    revokedByName: requesterFor(fixture),
    graphRequestId: IDS.graphRequestId,
    ...(fixture === 'guest' ? {} : { verifiedValidFrom: '2024-07-01T10:05:41Z' }),
  };
}

function closedView(fixture: TargetFixture, how: 'Cancelled' | 'Expired'): ClosedView {
  return how === 'Cancelled'
    ? { target: TARGETS[fixture], title: 'Cancelled', message: `${requesterFor(fixture)} cancelled this request.` }
    : { target: TARGETS[fixture], title: 'Expired', message: 'Nobody confirmed within 15 minutes. Ask again if it is still needed.' };
}

const FORBIDDEN: FailedView = {
  requestId: IDS.requestId,
  target: TARGETS.privileged,
  title: "You can't revoke this person",
  message: 'Megan Bowen holds a privileged admin role. Entra refused the revocation for your account.',
  rolesNeeded: ROLES_FOR_PRIVILEGED,
  hint: 'If you have an eligible role in PIM, activate it, then select Retry.',
  graphRequestId: IDS.graphRequestId,
  correlationId: IDS.correlationId,
  canRetry: true,
};

const PICK_LIST: PickListView = {
  pickId: IDS.pickId,
  query: 'adele',
  candidates: [
    { displayName: 'Adele Vance', userPrincipalName: 'adele_vance@contoso.com', jobTitle: 'Retail Manager', department: 'Retail' },
    { displayName: 'Adele Vance', userPrincipalName: 'adele.vance@fabrikam.com', department: 'Sales' },
    { displayName: 'Adele Morgan', userPrincipalName: 'amorgan@contoso.com' },
    { displayName: TARGETS.long.displayName, userPrincipalName: TARGETS.long.userPrincipalName, jobTitle: TARGETS.long.jobTitle },
    { displayName: HOSTILE.name, userPrincipalName: 'mallory_x@contoso.com', jobTitle: HOSTILE.jobTitle, department: HOSTILE.department },
  ],
  truncated: true,
};

const WHOAMI: WhoAmIView = {
  name: 'Helen Helpdesk',
  userPrincipalName: 'helen@contoso.com',
  tenantId: '72f988bf-0000-4000-8000-000000000001',
  roleNames: ['Helpdesk Administrator'],
  capability: 'You can revoke people without admin roles.',
  rows: [
    { label: 'Revoke non-admins', value: 'yes' },
    { label: 'Revoke limited admins', value: 'some (Helpdesk Administrator targets only)' },
    { label: 'Revoke privileged admins', value: 'no' },
  ],
};

const AUDIT: AuditView = {
  scope: 'Last 10 actions',
  entries: [
    {
      at: '2024-07-01T10:05:42.318Z',
      action: 'revocation.succeeded',
      outcome: 'ok',
      actor: 'Uma Useradmin (uma@contoso.com)',
      target: 'Adele Vance (adele_vance@contoso.com)',
      requestRef: '1f2e3d4c',
      graphRequestId: IDS.graphRequestId,
    },
    {
      at: '2024-07-01T10:05:41Z',
      action: 'revocation.started',
      outcome: 'info',
      actor: 'Uma Useradmin (uma@contoso.com)',
      target: 'Adele Vance (adele_vance@contoso.com)',
      requestRef: '1f2e3d4c',
    },
    {
      at: '2024-07-01T10:04:00Z',
      action: 'revocation.failed',
      outcome: 'failed',
      actor: 'Paul Password (paul@contoso.com)',
      target: 'Grace Global (grace@contoso.com)',
      code: 'forbidden',
      requestRef: '9a8b7c6d',
      graphRequestId: IDS.graphRequestId,
    },
    {
      at: '2024-07-01T10:03:00Z',
      action: 'request.refused',
      outcome: 'refused',
      actor: 'Helen Helpdesk (helen@contoso.com)',
      target: 'Megan Bowen (megan@contoso.com)',
      code: 'not_requester',
      requestRef: '5e4d3c2b',
    },
    { at: '2024-07-01T10:02:00Z', action: 'signin.refused', outcome: 'refused', actor: 'Sam Secadmin', code: 'expired' },
    {
      at: '2024-07-01T10:01:00Z',
      action: 'audit.viewed',
      outcome: 'info',
      actor: 'Priya Privauth (priya@contoso.com)',
      detail: 'viewed 10 records',
      code: 'admin_group',
    },
  ],
  more: false,
};

/** The methods a lookup card lists once reviewed: an attacker's phone added yesterday, an old authenticator, the password. */
const METHODS: NonNullable<LookupView['methods']> = {
  readAt: '2024-07-01T10:01:00Z',
  removable: [
    { inputId: 'removeMethod_k3y_1', title: 'Remove: Phone +234 8035550199 (alternate mobile) (⚠ added 1 day ago)', recent: true },
    { inputId: 'removeMethod_k3y_2', title: 'Remove: Microsoft Authenticator (Adele’s phone) (added 200 days ago)', recent: false },
  ],
  fixed: ['The password can’t be removed, only reset (tick “Reset the password” above).'],
  warning: 'If you remove every method, Adele must register again at their next sign-in (an admin can give them a Temporary Access Pass).',
};

const SUCCESS_LINE = {
  at: '2024-07-01T10:05:43Z',
  app: 'OfficeHome',
  client: 'Browser',
  ipAddress: '198.51.100.23',
  location: 'Lagos, NG',
  interactive: true,
};

function signInsView(extra: Partial<SignInsView> = {}): SignInsView {
  return {
    requestId: IDS.requestId,
    targetName: 'Adele Vance',
    targetUpn: 'adele_vance@contoso.com',
    revokedAt: '2024-07-01T10:05:42Z',
    checkedAt: '2024-07-01T10:20:00Z',
    residualWindowEndsAt: '2024-07-01T11:35:42Z',
    residualWindowOver: false,
    verdict: 'none',
    verdictText: 'No sign-in since the revoke.',
    successes: [],
    failures: [],
    moreSuccesses: 0,
    moreFailures: 0,
    justBefore: 0,
    truncated: false,
    ...extra,
  };
}

function runSignInsView(extra: Partial<RunSignInsView> = {}): RunSignInsView {
  return {
    runId: IDS.requestId,
    sourceLabel: 'group “Finance Team”',
    checkedAt: '2024-07-01T10:20:00Z',
    revoked: 44,
    checked: 44,
    failedOnly: 0,
    verdict: 'none',
    verdictText: 'No sign-in since the revoke for any of the 44 users.',
    succeeded: [],
    residualWindowEndsAt: '2024-07-01T11:39:00Z',
    notes: [],
    ...extra,
  };
}

/** The evidence cards: the "can I?" line, the methods review, and the sign-in checks. */
const EVIDENCE_CASES: readonly CardCase[] = [
  {
    card: 'lookup',
    fixture: 'member-can-with-methods',
    render: (r) =>
      r.lookup({
        ...lookupView('member'),
        advice: { lines: ['You can revoke Adele’s sessions (User Administrator).'], tone: 'good' },
        methods: METHODS,
        canReviewMethods: true,
      }),
  },
  {
    card: 'lookup',
    fixture: 'privileged-cannot-eligible',
    render: (r) =>
      r.lookup({
        ...lookupView('privileged'),
        advice: {
          lines: [
            'You can’t: Megan is a Global Administrator; this needs Privileged Authentication Administrator or Global Administrator.',
            'You’re eligible for Privileged Authentication Administrator in Privileged Identity Management: activate it, then click Revoke sessions.',
          ],
          tone: 'warning',
        },
        canReviewMethods: true,
      }),
  },
  {
    card: 'lookup',
    fixture: 'methods-unreadable-hostile',
    render: (r) =>
      r.lookup({
        ...lookupView('hostile'),
        advice: { lines: [HOSTILE.name], tone: 'warning' },
        methods: {
          readAt: '2024-07-01T10:01:00Z',
          removable: [{ inputId: 'removeMethod_k3y_0', title: HOSTILE.name, recent: true }],
          fixed: [HOSTILE.jobTitle],
          problem: HOSTILE.department,
        },
        canReviewMethods: true,
      }),
  },
  { card: 'signIns', fixture: 'clean', render: (r) => r.signIns(signInsView()) },
  {
    card: 'signIns',
    fixture: 'succeeded-after-revoke',
    render: (r) =>
      r.signIns(
        signInsView({
          verdict: 'succeeded',
          verdictText:
            'A sign-in succeeded after the revoke: the password or a device may still be in the attacker’s hands — reset and disable.',
          successes: [SUCCESS_LINE],
          failures: [{ ...SUCCESS_LINE, at: '2024-07-01T10:07:00Z', outcome: 'wrong user name or password (50126)' }],
          justBefore: 1,
        }),
      ),
  },
  {
    card: 'signIns',
    fixture: 'failed-only-window-over',
    render: (r) =>
      r.signIns(
        signInsView({
          checkedAt: '2024-07-01T12:00:00Z',
          residualWindowOver: true,
          verdict: 'failedOnly',
          verdictText: '12 failed attempts since the revoke, none succeeded.',
          failures: [{ ...SUCCESS_LINE, outcome: 'blocked by Conditional Access (53003)' }],
          moreFailures: 11,
          truncated: true,
        }),
      ),
  },
  {
    card: 'signIns',
    fixture: 'forbidden',
    render: (r) =>
      r.signIns(
        signInsView({
          residualWindowEndsAt: undefined,
          verdict: undefined,
          verdictText: 'You can’t read the sign-in logs',
          problem: {
            title: 'You can’t read the sign-in logs',
            message:
              'Microsoft Entra ID refused: reading other people’s sign-in logs needs Reports Reader, Security Reader, Security Operator, Security Administrator, Global Reader or Global Administrator.',
            hint: 'If you have an eligible role in Privileged Identity Management, activate it and check again, or ask someone who holds one.',
          },
        }),
      ),
  },
  {
    card: 'signIns',
    fixture: 'hostile',
    render: (r) =>
      r.signIns(
        signInsView({
          targetName: HOSTILE.name,
          verdict: 'succeeded',
          verdictText: HOSTILE.requester,
          successes: [
            {
              at: '2024-07-01T10:05:43Z',
              app: HOSTILE.name,
              client: HOSTILE.jobTitle,
              ipAddress: HOSTILE.query,
              location: HOSTILE.department,
            },
          ],
        }),
      ),
  },
  { card: 'runSignIns', fixture: 'clean', render: (r) => r.runSignIns(runSignInsView()) },
  {
    card: 'runSignIns',
    fixture: 'partial-with-successes',
    render: (r) =>
      r.runSignIns(
        runSignInsView({
          checked: 30,
          verdict: 'succeeded',
          verdictText:
            '1 of 30 users checked show a success after the revoke: the password or a device may still be in the attacker’s hands — reset and disable.',
          succeeded: [{ name: 'Lee Gu', userPrincipalName: 'lee.gu@contoso.com', count: 2, last: SUCCESS_LINE }],
          notes: [
            '14 of 44 not checked yet: Microsoft Graph reads sign-in logs slowly (5 requests every 10 seconds). Check again to continue.',
          ],
        }),
      ),
  },
  {
    card: 'runSignIns',
    fixture: 'forbidden-hostile',
    render: (r) =>
      r.runSignIns(
        runSignInsView({
          sourceLabel: HOSTILE.query,
          checked: 0,
          verdict: 'partial',
          verdictText: 'You can’t read the sign-in logs',
          succeeded: [{ name: HOSTILE.name, userPrincipalName: 'mallory_x@contoso.com', count: 1 }],
          problem: { title: 'You can’t read the sign-in logs', message: HOSTILE.jobTitle, hint: HOSTILE.requester },
        }),
      ),
  },
];

/** Every (card, fixture) pair the golden tests render. */
export const CARD_CASES: readonly CardCase[] = [
  {
    card: 'schedule',
    fixture: 'proposal',
    render: (r) =>
      r.schedule({
        tone: 'warning',
        title: 'Schedule this revocation?',
        headline: 'Adele Vance',
        facts: [
          { title: 'When', value: 'Friday 18 December 2026, 17:00 Europe/Berlin (16:00 UTC)' },
          { title: 'Steps', value: 'Revoke sign-in sessions' },
        ],
        lines: ['You could revoke them now (as Helpdesk Administrator); at the due time, whoever clicks acts with their own rights.'],
        scheduleId: IDS.requestId,
        actions: { arm: true, cancel: 'Discard' },
      }),
  },
  {
    card: 'schedule',
    fixture: 'due-late',
    render: (r) =>
      r.schedule({
        tone: 'warning',
        title: 'It is 17:00: revoke Adele Vance now?',
        headline: 'Adele Vance',
        facts: [{ title: 'Due', value: 'Friday 18 December 2026, 17:00 Europe/Berlin (16:00 UTC)' }],
        lines: ['Posted late: this was due Friday 18 December 2026, 17:00 Europe/Berlin (16:00 UTC), and the bot was not running then.'],
        scheduleId: IDS.requestId,
        actions: { run: { occurrence: 2, title: 'Revoke now' } },
      }),
  },
  {
    card: 'schedule',
    fixture: 'list-hostile',
    render: (r) =>
      r.schedule({
        tone: 'info',
        title: 'Scheduled revocations (1)',
        facts: [],
        lines: [],
        items: [{ id: IDS.requestId, text: `${HOSTILE.name}: every Monday at 09:00 Europe/Berlin` }],
        status: HOSTILE.department,
      }),
  },
  ...(Object.keys(TARGETS) as TargetFixture[]).flatMap((fixture): CardCase[] => [
    { card: 'lookup', fixture, render: (r) => r.lookup(lookupView(fixture)) },
    { card: 'succeeded', fixture, render: (r) => r.succeeded(succeededView(fixture)) },
  ]),
  {
    card: 'lookup',
    fixture: 'member-with-refresh',
    render: (r) => r.lookup({ ...lookupView('member'), refreshUserIds: ['29:1AbCrequester', '29:1DeFapprover'] }),
  },
  ...(['member', 'guest', 'hostile'] as const).map((fixture): CardCase => ({
    card: 'working',
    fixture,
    render: (r) => r.working(workingView(fixture)),
  })),
  {
    card: 'working',
    fixture: 'member-with-refresh',
    render: (r) => r.working({ ...workingView('member'), requestId: IDS.requestId, refreshUserIds: ['29:1AbCrequester'] }),
  },
  { card: 'closed', fixture: 'cancelled-member', render: (r) => r.closed(closedView('member', 'Cancelled')) },
  { card: 'closed', fixture: 'expired-self', render: (r) => r.closed(closedView('self', 'Expired')) },
  { card: 'closed', fixture: 'cancelled-hostile', render: (r) => r.closed(closedView('hostile', 'Cancelled')) },
  { card: 'pickList', fixture: 'truncated', render: (r) => r.pickList(PICK_LIST) },
  {
    card: 'pickList',
    fixture: 'complete',
    render: (r) => r.pickList({ ...PICK_LIST, candidates: PICK_LIST.candidates.slice(0, 2), truncated: false }),
  },
  {
    card: 'pickList',
    fixture: 'hostile-query',
    render: (r) => r.pickList({ ...PICK_LIST, query: HOSTILE.query, candidates: PICK_LIST.candidates.slice(4), truncated: false }),
  },
  { card: 'failed', fixture: 'forbidden-privileged', render: (r) => r.failed(FORBIDDEN) },
  {
    card: 'failed',
    fixture: 'not-found-no-retry',
    render: (r) =>
      r.failed({
        title: 'Nobody found',
        message: 'No one in this organisation matches “adel vance”.',
        rolesNeeded: [],
        hint: 'Check the spelling, or type their user principal name (adele@contoso.com).',
        correlationId: IDS.correlationId,
        canRetry: false,
      }),
  },
  {
    card: 'failed',
    fixture: 'retry-without-request-id',
    render: (r) => r.failed({ title: 'Graph is busy', message: 'Microsoft Graph asked us to slow down.', rolesNeeded: [], canRetry: true }),
  },
  {
    card: 'failed',
    fixture: 'hostile',
    render: (r) =>
      r.failed({
        ...FORBIDDEN,
        target: TARGETS.hostile,
        title: HOSTILE.name,
        message: HOSTILE.jobTitle,
        rolesNeeded: [HOSTILE.role],
        hint: HOSTILE.requester,
      }),
  },
  { card: 'whoami', fixture: 'helpdesk', render: (r) => r.whoami(WHOAMI) },
  {
    card: 'whoami',
    fixture: 'no-roles',
    render: (r) => r.whoami({ ...WHOAMI, roleNames: [], capability: 'You hold no role that can revoke sessions.', rows: [] }),
  },
  {
    card: 'whoami',
    fixture: 'hostile',
    render: (r) =>
      r.whoami({ ...WHOAMI, name: HOSTILE.name, capability: HOSTILE.requester, rows: [{ label: HOSTILE.role, value: HOSTILE.jobTitle }] }),
  },
  { card: 'help', fixture: 'plain', render: (r) => r.help({ botName: 'Session Revoker' }) },
  { card: 'help', fixture: 'unrecognised', render: (r) => r.help({ botName: 'Session Revoker', unrecognised: 'revok adele' }) },
  { card: 'help', fixture: 'hostile', render: (r) => r.help({ botName: 'Session Revoker', unrecognised: HOSTILE.query }) },
  {
    card: 'notice',
    fixture: 'info',
    render: (r) =>
      r.notice({ tone: 'info', title: 'Sign in to continue', message: 'Teams needs your consent once before I can act for you.' }),
  },
  {
    card: 'notice',
    fixture: 'warning',
    render: (r) =>
      r.notice({ tone: 'warning', title: 'Not in this chat', message: 'I can only revoke from a chat with me or a channel I am in.' }),
  },
  {
    card: 'notice',
    fixture: 'error',
    render: (r) =>
      r.notice({
        tone: 'error',
        title: 'Something went wrong',
        message: 'Nothing was revoked. Try again in a minute.',
        correlationId: IDS.correlationId,
      }),
  },
  {
    card: 'notice',
    fixture: 'hostile',
    render: (r) => r.notice({ tone: 'error', title: HOSTILE.name, message: HOSTILE.department, correlationId: IDS.correlationId }),
  },
  {
    card: 'succeeded',
    fixture: 'member-verified',
    render: (r) => r.succeeded({ ...succeededView('member'), verifiedValidFrom: '2024-07-01T10:05:42Z', verification: 'verified' }),
  },
  {
    card: 'succeeded',
    fixture: 'member-with-containment',
    render: (r) =>
      r.succeeded({
        ...succeededView('member'),
        containment: [
          { label: 'Account disabled', ok: true },
          { label: 'Password reset to a random one nobody saw', ok: true },
          {
            label: 'Devices',
            ok: false,
            detail:
              '0 of 2 devices disabled; not done — Entra refused: it needs Cloud Device Administrator, Intune Administrator or Global Administrator',
          },
        ],
      }),
  },
  {
    card: 'failed',
    fixture: 'forbidden-after-containment',
    render: (r) =>
      r.failed({
        ...FORBIDDEN,
        containment: [
          {
            label: 'Disable the account',
            ok: false,
            detail:
              'not done — Entra refused: it needs User Administrator, Authentication Administrator, Privileged Authentication Administrator or Global Administrator',
          },
          { label: 'Password reset to a random one nobody saw', ok: true },
        ],
      }),
  },
  {
    card: 'approval',
    fixture: 'awaiting-with-containment-plan',
    render: (r) =>
      r.approval({ ...approvalView('member'), viewer: 'approver', containmentPlanned: ['disable the account', 'reset the password'] }),
  },
  {
    card: 'risky',
    fixture: 'some',
    render: (r) =>
      r.risky({
        pickId: IDS.pickId,
        truncated: true,
        escalate: true,
        users: [
          {
            displayName: 'Connie Compromised',
            userPrincipalName: 'connie@contoso.com',
            riskLevel: 'high',
            riskLastUpdatedDateTime: '2024-07-01T09:00:00Z',
          },
          { displayName: 'Adele Vance', userPrincipalName: 'adele@contoso.com', riskLevel: 'medium' },
        ],
      }),
  },
  {
    card: 'risky',
    fixture: 'hostile',
    render: (r) =>
      r.risky({
        pickId: IDS.pickId,
        truncated: false,
        users: [
          {
            displayName: HOSTILE.name,
            userPrincipalName: 'a_b_@evil.com',
            riskLevel: HOSTILE.role,
            riskLastUpdatedDateTime: HOSTILE.department,
          },
        ],
      }),
  },
  { card: 'risky', fixture: 'empty', render: (r) => r.risky({ pickId: IDS.pickId, truncated: false, users: [] }) },
  { card: 'alert', fixture: 'open', render: (r) => r.alert({ alert: alertCase('open') }) },
  { card: 'alert', fixture: 'hostile', render: (r) => r.alert({ alert: alertCase('hostile'), notice: HOSTILE.role }) },
  { card: 'alert', fixture: 'done', render: (r) => r.alert({ alert: alertCase('done') }) },
  { card: 'bulk', fixture: 'pending-direct', render: (r) => r.bulk(bulkView()) },
  {
    card: 'bulk',
    fixture: 'pending-needs-approval',
    render: (r) => r.bulk({ ...bulkView(), approvalChannelName: '#Revocation approvals' }),
  },
  {
    card: 'bulk',
    fixture: 'awaiting-approver',
    render: (r) =>
      r.bulk({ ...bulkView(), state: 'awaiting', viewer: 'approver', reason: 'Phishing wave INC-77', refreshUserIds: ['29:1DeFapprover'] }),
  },
  {
    card: 'bulk',
    fixture: 'running',
    render: (r) =>
      r.bulk({
        ...bulkView(),
        state: 'running',
        viewer: 'readOnly',
        decidedByName: 'Priya Privauth',
        progress: { done: 20, failed: 1, remaining: 24 },
      }),
  },
  {
    card: 'bulk',
    fixture: 'running-large',
    render: (r) =>
      r.bulk({
        ...bulkView(),
        sourceLabel: 'department “Field Sales”',
        total: 10_000,
        state: 'running',
        viewer: 'readOnly',
        decidedByName: 'Priya Privauth',
        progress: { done: 3975, failed: 25, remaining: 6000 },
        timeLeftInMs: 301_000,
        failures: Array.from({ length: 25 }, (_, i) => ({
          name: `Field Sales Admin ${String(i + 1).padStart(2, '0')}`,
          userPrincipalName: `fs.admin${i + 1}@contoso.com`,
          reason: 'you can’t revoke this user’s sessions',
        })),
      }),
  },
  {
    card: 'bulk',
    fixture: 'completed-with-failures',
    render: (r) =>
      r.bulk({
        ...bulkView(),
        state: 'completed',
        decidedByName: 'Priya Privauth',
        decidedAt: '2024-07-01T10:09:00Z',
        progress: { done: 44, failed: 1, remaining: 0 },
        verified: 2,
        failures: [{ name: 'Grace Global', userPrincipalName: 'grace@contoso.com', reason: 'you can’t revoke this user’s sessions' }],
        canCheckSignIns: true,
      }),
  },
  ...EVIDENCE_CASES,
  {
    card: 'bulk',
    fixture: 'rejected-hostile',
    render: (r) =>
      r.bulk({
        ...bulkView(),
        sourceLabel: HOSTILE.query,
        state: 'rejected',
        decidedByName: HOSTILE.requester,
        rejectReason: HOSTILE.department,
        sample: [HOSTILE.name],
      }),
  },
  {
    card: 'succeeded',
    fixture: 'member-not-moved',
    render: (r) => r.succeeded({ ...succeededView('member'), verifiedValidFrom: '2024-06-12T17:05:09Z', verification: 'notMoved' }),
  },
  {
    card: 'lookup',
    fixture: 'member-needs-approval',
    render: (r) => r.lookup({ ...lookupView('member'), approvalChannelName: '#Revocation approvals' }),
  },
  {
    card: 'approval',
    fixture: 'awaiting-approver-view',
    render: (r) =>
      r.approval({
        ...approvalView('privileged'),
        viewer: 'approver',
        refreshUserIds: ['29:1DeFapprover'],
        reason: 'INC-4211 phishing report',
      }),
  },
  {
    card: 'approval',
    fixture: 'awaiting-read-only',
    render: (r) => r.approval({ ...approvalView('member'), refreshUserIds: ['29:1DeFapprover', '29:1GhIapprover'] }),
  },
  { card: 'approval', fixture: 'awaiting-requester', render: (r) => r.approval({ ...approvalView('guest'), viewer: 'requester' }) },
  {
    card: 'approval',
    fixture: 'awaiting-after-403',
    render: (r) =>
      r.approval({
        ...approvalView('privileged'),
        viewer: 'approver',
        attempts: ['Paul Password — you can’t revoke this user’s sessions'],
        notice:
          'You can’t revoke this user’s sessions. It needs Privileged Authentication Administrator or Global Administrator. The request stays open for another approver.',
      }),
  },
  {
    card: 'approval',
    fixture: 'approved',
    render: (r) =>
      r.approval({
        ...approvalView('member'),
        state: 'approved',
        decidedByName: 'Priya Privauth',
        decidedAt: '2024-07-01T10:07:00Z',
        graphRequestId: IDS.graphRequestId,
        canCheckSignIns: true,
      }),
  },
  {
    card: 'approval',
    fixture: 'rejected-hostile',
    render: (r) =>
      r.approval({
        ...approvalView('hostile'),
        state: 'rejected',
        decidedByName: HOSTILE.requester,
        decidedAt: '2024-07-01T10:07:00Z',
        rejectReason: HOSTILE.query,
        reason: HOSTILE.department,
      }),
  },
  { card: 'approval', fixture: 'expired', render: (r) => r.approval({ ...approvalView('member'), state: 'expired' }) },
  { card: 'audit', fixture: 'recent', render: (r) => r.audit(AUDIT) },
  {
    card: 'audit',
    fixture: 'empty',
    render: (r) => r.audit({ scope: 'Last 10 actions about Adele Vance (adele_vance@contoso.com)', entries: [], more: false }),
  },
  {
    card: 'audit',
    fixture: 'hostile',
    render: (r) =>
      r.audit({
        scope: HOSTILE.query,
        entries: [
          {
            at: '2024-07-01T10:05:42.318Z',
            action: HOSTILE.role,
            outcome: 'refused',
            actor: HOSTILE.requester,
            target: HOSTILE.name,
            code: HOSTILE.department,
            detail: HOSTILE.jobTitle,
            requestRef: '1f2e3d4c',
            graphRequestId: IDS.graphRequestId,
          },
        ],
        more: true,
        note: HOSTILE.jobTitle,
      }),
  },
  {
    card: 'audit',
    fixture: 'full',
    render: (r) =>
      r.audit({
        scope: 'Last 50 actions',
        entries: Array.from({ length: 50 }, (_, i) => ({ ...AUDIT.entries[i % AUDIT.entries.length]! })),
        more: true,
        note: 'At most 50 records fit on a card.',
      }),
  },
];

/** An alert from Sentinel about two users, waiting (hostile: every text from the source is hostile). */
function alertCase(fixture: 'open' | 'hostile' | 'done'): AlertCase {
  const hostile = fixture === 'hostile';
  const base: AlertCase = {
    id: IDS.requestId,
    tenantId: 't',
    requester: { kind: 'system', tenantId: 't', source: 'alert:c0ffee00', name: 'Microsoft Sentinel (alert)' },
    state: 'awaitingApproval',
    createdAt: '2024-07-01T10:00:00Z',
    expiresAt: '2024-07-02T10:00:00Z',
    alert: {
      source: 'sentinel',
      externalId: hostile ? HOSTILE.department : 'INC-4711',
      title: hostile ? HOSTILE.name : 'Impossible travel',
      severity: 'high',
      users: [
        { kind: 'objectId', id: '5a1f0c1e-2b1d-4c55-9a3e-7d2f9d0c6b11' },
        { kind: 'userPrincipalName', upn: hostile ? 'a_b_@evil.com' : 'adele.vance@contoso.com' },
      ],
      link: 'https://security.microsoft.com/incidents/4711',
      ...(hostile ? { details: HOSTILE.jobTitle } : { details: 'Sign-ins from two countries within an hour.' }),
      receivedAt: '2024-07-01T10:00:00Z',
      callerAppId: 'c0ffee00',
    },
    approval: { channelId: '19:sec@thread.tacv2', requestedAt: '2024-07-01T10:00:00Z', failedAttempts: [] },
  };
  if (fixture !== 'done') return base;
  return {
    ...base,
    state: 'done',
    action: 'revokeAndContain',
    decidedBy: { tenantId: 't', aadObjectId: 'g', name: 'Grace Global' },
    decidedAt: '2024-07-01T10:05:00Z',
    details: {
      by: { tenantId: 't', aadObjectId: 's', name: 'Sam Secadmin' },
      at: '2024-07-01T10:02:00Z',
      users: [
        {
          ref: '5a1f0c1e-2b1d-4c55-9a3e-7d2f9d0c6b11',
          id: '5a1f0c1e-2b1d-4c55-9a3e-7d2f9d0c6b11',
          displayName: 'Megan Bowen',
          userPrincipalName: 'megan.bowen@contoso.com',
          accountEnabled: true,
          tier: 'limitedAdmin',
          roles: ['Helpdesk Administrator'],
          signInSessionsValidFrom: '2024-06-30T08:00:00Z',
          risk: { level: 'high', state: 'atRisk' },
        },
        { ref: 'adele.vance@contoso.com', problem: 'not_found' },
      ],
    },
    results: [
      { user: 'Megan Bowen (megan.bowen@contoso.com)', step: 'disableAccount', ok: true },
      { user: 'Megan Bowen (megan.bowen@contoso.com)', step: 'revoke', ok: true },
      { user: 'Megan Bowen (megan.bowen@contoso.com)', step: 'confirmCompromised', ok: false, code: 'not_licensed' },
      { user: 'adele.vance@contoso.com', step: 'lookup', ok: false, code: 'not_found' },
    ],
  };
}

function bulkView(): BulkView {
  return {
    runId: IDS.requestId,
    sourceLabel: 'group “Finance Team”',
    requesterName: REQUESTER,
    state: 'pending',
    total: 45,
    sample: ['Adele Vance', 'Lee Gu', 'Megan Bowman'],
    tierCounts: { nonAdmin: 43, limitedAdmin: 1, privilegedAdmin: 1, unknown: 0 },
    admins: ['Grace Global (privileged admin)', 'Rita Reader (limited admin)'],
    failures: [],
    expiresAt: '2024-07-01T10:15:00Z',
    viewer: 'requester',
  };
}

function approvalView(fixture: TargetFixture): ApprovalView {
  return {
    requestId: IDS.requestId,
    target: TARGETS[fixture],
    requesterName: requesterFor(fixture),
    requestedAt: '2024-07-01T10:00:00Z',
    expiresAt: '2024-07-02T10:00:00Z',
    channelName: '#Revocation approvals',
    state: 'awaiting',
    attempts: [],
    viewer: 'readOnly',
  };
}
