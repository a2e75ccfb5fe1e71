/**
 * The routes table: every command, card verb and invoke the bot answers, each pointing at one
 * small handler in its feature's folder. It reads like the help card; the dispatcher
 * (revokerBot.ts) looks every turn up here and nowhere else. Verbs are the strings cards already
 * posted in Teams carry back: never rename one without keeping the old one here as an alias.
 */
import type { Verb } from '../cards/verbs';
import type { Command } from '../domain/command';
import {
  actOnAlert,
  approveBulk,
  approveRequest,
  approveSchedule,
  closeAlert,
  rejectBulk,
  rejectRequest,
  rejectSchedule,
  submitBulk,
  submitRequest,
  submitSchedule,
} from './approval/handlers';
import { audit } from './audit/audit';
import { cancel as cancelRun } from './bulk/cancel';
import { prepare } from './bulk/prepare';
import { refresh as refreshRun } from './bulk/refresh';
import { start } from './bulk/start';
import { checkRunSignIns, checkSignIns, recheckRunSignIns, recheckSignIns } from './evidence/checkSignIns';
import { reviewMethods } from './evidence/reviewMethods';
import { help, invalid } from './help/help';
import { cancel as cancelRequest } from './revocation/cancel';
import { confirm, retry } from './revocation/confirm';
import { pick } from './revocation/pick';
import { refresh as refreshRequest } from './revocation/refresh';
import { revoke } from './revocation/revoke';
import { tokenExchange } from './signIn/tokenExchange';
import { verifyState } from './signIn/verifyState';
import type { CardHandler, CommandHandler, InvokeHandler } from './turn';
import { whoami } from './whoami/whoami';
import { armSchedule, cancelScheduleClick, cancelScheduleCommand, listSchedules } from './schedule/manage';
import { proposeSchedule } from './schedule/propose';
import { runDue } from './schedule/run';
import { saveSelection } from './selection/save';
import { showAlertDetails } from './alerts/details';
import { risky } from './risky/risky';
import { escalateRisky } from './risky/escalate';

/** What a message asks for, as the help card names it. */
export type CommandRoute =
  | 'revoke'
  | 'revoke group'
  | 'revoke department'
  | 'revoke where'
  | 'revoke selection'
  | 'save selection'
  | 'schedule'
  | 'scheduled'
  | 'cancel schedule'
  | 'whoami'
  | 'risky'
  | 'audit'
  | 'help'
  | 'invalid';

type CommandOf<R extends CommandRoute> = R extends 'revoke'
  ? Extract<Command, { kind: 'revoke' }>
  : R extends 'revoke group' | 'revoke department' | 'revoke where' | 'revoke selection'
    ? Extract<Command, { kind: 'revokeBulk' }>
    : R extends 'save selection'
      ? Extract<Command, { kind: 'saveSelection' }>
      : R extends 'cancel schedule'
        ? Extract<Command, { kind: 'cancelSchedule' }>
        : Extract<Command, { kind: R }>;

/** Typed messages. */
export const COMMAND_ROUTES: { readonly [R in CommandRoute]: CommandHandler<CommandOf<R>> } = {
  revoke,
  'revoke group': prepare,
  'revoke department': prepare,
  'revoke where': prepare,
  'revoke selection': prepare,
  'save selection': saveSelection,
  schedule: proposeSchedule,
  scheduled: listSchedules,
  'cancel schedule': cancelScheduleCommand,
  whoami,
  risky,
  audit,
  help,
  invalid,
};

/** Clicks on the bot's cards (Action.Execute verbs). */
export const VERB_ROUTES: Readonly<Record<Verb, CardHandler>> = {
  'revocation.confirm': confirm,
  'revocation.retry': retry,
  'revocation.cancel': cancelRequest,
  'revocation.pick': pick,
  'revocation.refresh': refreshRequest,
  'revocation.request': submitRequest,
  'approval.approve': approveRequest,
  'approval.reject': rejectRequest,
  'bulk.start': start,
  'bulk.request': submitBulk,
  'bulk.approve': approveBulk,
  'bulk.reject': rejectBulk,
  'bulk.cancel': cancelRun,
  'bulk.refresh': refreshRun,
  'revocation.methods': reviewMethods,
  'signIns.check': checkSignIns,
  'signIns.recheck': recheckSignIns,
  'signIns.checkRun': checkRunSignIns,
  'signIns.recheckRun': recheckRunSignIns,
  'schedule.arm': armSchedule,
  'schedule.run': runDue,
  'schedule.cancel': cancelScheduleClick,
  'schedule.request': submitSchedule,
  'schedule.approve': approveSchedule,
  'schedule.reject': rejectSchedule,
  'alert.revoke': actOnAlert('revoke'),
  'alert.contain': actOnAlert('revokeAndContain'),
  'alert.confirmCompromised': actOnAlert('confirmCompromised'),
  'alert.dismissRisk': actOnAlert('dismissRisk'),
  'alert.close': closeAlert,
  'alert.details': showAlertDetails,
  'risky.escalate': escalateRisky,
};

/** The sign-in protocol's invokes. */
export const INVOKE_ROUTES: Readonly<Record<string, InvokeHandler | undefined>> = {
  'signin/tokenExchange': tokenExchange,
  'signin/verifyState': verifyState,
};

/** The route a parsed command takes. */
export function commandRoute(command: Command): CommandRoute {
  switch (command.kind) {
    case 'revokeBulk':
      return `revoke ${command.source.kind}`;
    case 'saveSelection':
      return 'save selection';
    case 'cancelSchedule':
      return 'cancel schedule';
    default:
      return command.kind;
  }
}

/** The handler for a command (the table's type ties each route to its command's kind). */
export function commandHandler(command: Command): CommandHandler {
  return COMMAND_ROUTES[commandRoute(command)] as CommandHandler;
}

/** The handler for a card verb; undefined for any verb the bot never put on a card. */
export function verbHandler(verb: unknown): CardHandler | undefined {
  return typeof verb === 'string' && Object.hasOwn(VERB_ROUTES, verb) ? VERB_ROUTES[verb as Verb] : undefined;
}

/** The handler for another invoke; undefined: the Teams handler's default answers it. */
export function invokeHandler(name: string | undefined): InvokeHandler | undefined {
  return name !== undefined && Object.hasOwn(INVOKE_ROUTES, name) ? INVOKE_ROUTES[name] : undefined;
}
