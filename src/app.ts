/**
 * The composition root: builds every adapter, the use cases, the bot and the HTTP server
 * from one Config. Nothing else knows every class. Used by main.ts (node .) and by the
 * end-to-end tests, which start real bots against the emulated cloud.
 */
import type { TokenCredential } from '@azure/identity';
import type { DestinationStream } from 'pino';
import path from 'node:path';
import { AuditTrail, type SetAsideEvent } from './app/auditTrail';
import { RevocationService } from './app/revocation/revocationService';
import { ApprovalWorkflow } from './app/approval/approvalWorkflow';
import { requestApprovals } from './app/revocation/requestApprovals';
import { bulkApprovals } from './app/bulk/bulkApprovals';
import { alertApprovals } from './app/alerts/alertApprovals';
import { AlertIntake } from './app/alerts/alertIntake';
import { AlertDetailsService } from './app/alerts/alertDetails';
import { SecurityChannelAlerts } from './bot/alerts/alertChannel';
import { AlertCallerValidator } from './identity/alertCallerValidator';
import { BulkRevocationService } from './app/bulk/bulkRevocationService';
import { AuditQueryService } from './app/auditQueries';
import { AuditCommandHandler } from './bot/audit/auditCommand';
import { SecurityChannel } from './bot/securityChannel';
import { RateLimiter } from './app/rateLimiter';
import { RevokerAdapter } from './bot/adapter';
import { createBotFrameworkAuthentication } from './bot/botFrameworkAuth';
import { Presenter } from './bot/present';
import { RevokerBot } from './bot/revokerBot';
import { SignInGate } from './bot/signIn/signInGate';
import { asAttachment, CardRenderer } from './cards/render';
import { permissionName, type Config } from './config/config';
import { GraphDirectory } from './graph/graphDirectory';
import { GraphContainment } from './graph/graphContainment';
import { GraphEvidence } from './graph/graphEvidence';
import { SignInChecks } from './app/evidence/signInChecks';
import { MethodsReview } from './app/evidence/methodsReview';
import { createHttpServer } from './http/server';
import { DelegatedSessions } from './identity/delegatedSessions';
import { SsoTokenValidator } from './identity/ssoTokenValidator';
import { createLogger, type Logger } from './observability/logger';
import { bulkProgressGauge, countAuditRecord } from './observability/outcomeMetrics';
import { startTelemetry } from './observability/startTelemetry';
import type { TelemetryExtras } from './observability/telemetry';
import { TimedAuditLog, TimedStateStore } from './observability/timedStorage';
import { FileAuditSetAside, openStorage, type OpenedStorage } from './storage';
import { UNEXPECTED } from './bot/explain';
import { systemClock, type Clock } from './domain/clock';
import { ScheduleService } from './app/schedule/scheduleService';
import { scheduleApprovals } from './app/schedule/scheduleApprovals';
import { SavedSelections } from './app/selection/savedSelections';
import { SchedulerLoop } from './bot/schedule/scheduler';

export interface RunningBot {
  /** Base URL, e.g. http://127.0.0.1:3978 (messages at /api/messages). */
  readonly url: string;
  readonly logger: Logger;
  /** Graceful stop: no new requests, in-flight turns and background work finish, audit flushed, storage closed. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where logs go (tests capture them to prove no token is logged). */
  readonly logDestination?: DestinationStream;
  /** Overrides config.listenAddress (tests listen on 127.0.0.1). */
  readonly host?: string;
  /** Tests: wraps the opened storage, e.g. to make it fail on demand (fault tests). */
  readonly wrapStorage?: (storage: OpenedStorage) => OpenedStorage;
  /** The one clock every decision reads; the machine's by default (tests pass a controllable one). */
  readonly clock?: Clock;
  /** Tests: span processors and metric readers beside Azure Monitor's exporters, when telemetry is on (in-memory ones). */
  readonly telemetryExtras?: TelemetryExtras;
}

export async function startBot(config: Config, options: StartOptions = {}): Promise<RunningBot> {
  const clock = options.clock ?? systemClock;
  const logger = createLogger({ level: config.logLevel, destination: options.logDestination });
  const opened = await openStorage(config.storage, clock);
  const wrapped = options.wrapStorage ? options.wrapStorage(opened) : opened;
  // Telemetry only with APPLICATIONINSIGHTS_CONNECTION_STRING: otherwise no SDK is loaded and nothing is wrapped.
  const telemetry = await startTelemetry(config.telemetry, options.telemetryExtras);
  const storage: OpenedStorage = telemetry
    ? {
        kind: wrapped.kind,
        state: new TimedStateStore(wrapped.state, telemetry),
        audit: new TimedAuditLog(wrapped.audit, telemetry),
        chain: wrapped.chain,
        close: () => wrapped.close(),
      }
    : wrapped;
  const audit = new AuditTrail({
    log: storage.audit,
    clock,
    setAside: new FileAuditSetAside(path.join(config.storage.dataDir, 'audit-set-aside'), clock),
    onDeferred: (entry, error) =>
      logger.error(
        { action: entry.action, requestId: entry.requestId, err: error },
        'audit record deferred: the audit log refused it; retrying',
      ),
    onSetAside: (event) => logSetAside(logger, event),
    onRecorded: telemetry && countAuditRecord(telemetry),
  });
  void audit.resume();
  const securityChannel = config.securityChannelId
    ? new SecurityChannel(storage.state, config.securityChannelId, config.appId, logger, clock)
    : undefined;
  // Four eyes is on when a security channel is configured; every use case reads this one value.
  const fourEyes = securityChannel !== undefined;
  // A give-back after a refused action that failed too: the item stays held until its recovery.
  const reportError = (error: unknown, context: string): void => logger.error({ err: error, context }, 'could not undo a held action');
  // Warm the channel's name so cards say where approvals go from the first turn after a restart.
  await securityChannel?.get();
  const service = new RevocationService({
    store: storage.state,
    audit,
    requestTtlInMs: config.requestTtlInMs,
    staleExecutionAfterInMs: config.executionStaleAfterInMs,
    approvalRequired: fourEyes,
    clock,
    onError: reportError,
  });
  // Expiries nobody clicked are recorded too (request.expired); a read records its own at once.
  const expirySweep = setInterval(
    () => void service.expireDue().catch((error: unknown) => logger.warn({ err: error }, 'expiry sweep failed')),
    5 * 60_000,
  );
  expirySweep.unref();
  const sessions = new DelegatedSessions({
    authorityHost: config.authorityHost,
    appId: config.appId,
    appPassword: config.appPassword,
    clock,
    makeContainment: (credential: TokenCredential) =>
      new GraphContainment(credential, {
        graphEndpoint: config.graphEndpoint,
        scopes: config.containmentScopes,
        deviceScopes: config.deviceScopes,
        riskScopes: config.riskScopes,
        authMethodScopes: config.authMethodScopes,
        requestTimeoutInMs: config.graphTimeoutInMs,
        telemetry,
      }),
    makeEvidence: (credential: TokenCredential) =>
      new GraphEvidence(credential, {
        graphEndpoint: config.graphEndpoint,
        auditScopes: config.auditScopes,
        authMethodScopes: config.authMethodScopes,
        pimScopes: config.pimScopes,
        riskScopes: config.riskScopes,
        requestTimeoutInMs: config.graphTimeoutInMs,
        telemetry,
      }),
    makeGateway: (credential: TokenCredential) =>
      new GraphDirectory(credential, {
        graphEndpoint: config.graphEndpoint,
        scopes: config.graphScopes,
        groupScopes: config.groupScopes,
        requestTimeoutInMs: config.graphTimeoutInMs,
        telemetry,
      }),
  });
  const gate = new SignInGate({
    validator: new SsoTokenValidator({
      authorityHost: config.authorityHost,
      appId: config.appId,
      ssoAppIdUri: config.ssoAppIdUri,
      allowedTenants: config.allowedTenants,
      clock,
    }),
    sessions,
    connectionName: config.oauthConnectionName,
    ssoAppIdUri: config.ssoAppIdUri,
    onRefused: (person, problem) => {
      logger.warn({ tenantId: person.tenantId, aadObjectId: person.aadObjectId, problem }, 'sign-in token refused');
      void audit.after({
        tenantId: person.tenantId,
        action: 'signin.refused',
        outcome: 'refused',
        actor: { aadObjectId: person.aadObjectId, name: person.name },
        code: problem,
      });
    },
  });
  // Templates are read once at start-up; every renderer shares them.
  const cards = CardRenderer.load();
  const account = config.containmentScopes.map(permissionName);
  const stepPermissions = {
    disableAccount: account,
    resetPassword: account,
    disableDevices: config.deviceScopes.map(permissionName),
    confirmCompromised: config.riskScopes.map(permissionName),
    removeMethods: config.authMethodScopes.map(permissionName),
  };
  const presenter = new Presenter(
    cards,
    'Session Revoker',
    clock,
    stepPermissions,
    securityChannel ? () => securityChannel.cachedDisplayName() : undefined,
    {
      auditPermissions: config.auditScopes.map(permissionName),
      pimPermissions: config.pimScopes.map(permissionName),
      authMethodPermissions: config.authMethodScopes.map(permissionName),
      recentMethodDays: config.recentMethodDays,
    },
  );
  const auditCommand = new AuditCommandHandler({
    queries: new AuditQueryService({
      log: storage.audit,
      audit,
      adminGroupId: config.auditAdminGroupId,
      securityChannelConfigured: fourEyes,
    }),
    cards,
    presenter,
    appId: config.appId,
    logger,
    securityChannel,
  });
  const bulkService = new BulkRevocationService({
    store: storage.state,
    audit,
    requestTtlInMs: config.requestTtlInMs,
    approvalRequired: fourEyes,
    maxTargets: config.bulkMaxTargets,
    clock,
    onError: (error, context) => logger.warn({ err: error, context }, 'bulk run: a progress update or audit write failed'),
    progress: telemetry && bulkProgressGauge(telemetry),
  });
  const schedules = new ScheduleService({
    store: storage.state,
    audit,
    clock,
    proposalTtlInMs: config.requestTtlInMs,
    approvalRequired: fourEyes,
    staleExecutionAfterInMs: config.executionStaleAfterInMs,
    onError: reportError,
  });
  const rateLimiter = new RateLimiter({ limits: config.rateLimits, clock });
  // Alerts (from security tools on POST /api/alerts, and users sent from the `risky` inbox): a
  // subject of the same approval workflow whenever there is a security channel.
  const alertWorkflow = securityChannel
    ? new ApprovalWorkflow(alertApprovals({ store: storage.state, audit, clock }), {
        store: storage.state,
        audit,
        clock,
        approvalTtlInMs: config.approvalTtlInMs,
        onError: reportError,
      })
    : undefined;
  const adapter = new RevokerAdapter(createBotFrameworkAuthentication(config.botFrameworkEnv), logger, async (context, correlationId) => {
    if (context.activity.type === 'message') {
      await context.sendActivity({ type: 'message', attachments: [asAttachment(presenter.failure(UNEXPECTED, { correlationId }))] });
    }
  });
  const alertSettings = config.alerts;
  const alertIntake =
    alertWorkflow && securityChannel
      ? new AlertIntake({
          store: storage.state,
          audit,
          clock,
          workflow: alertWorkflow,
          channel: new SecurityChannelAlerts(securityChannel, adapter, presenter),
          // Without ALERT_CALLER_APP_IDS no caller is allowed, and the HTTP edge does not take alerts at all.
          callers: new AlertCallerValidator({
            authorityHost: config.authorityHost,
            allowedTenants: config.allowedTenants,
            audiences: alertSettings ? [alertSettings.audience] : [],
            callerAppIds: alertSettings?.callerAppIds ?? [],
            requiredRole: alertSettings?.callerRole,
            clock,
          }),
          limiter: rateLimiter,
          maxUsers: alertSettings?.maxUsers ?? 10,
          approvalTtlInMs: config.approvalTtlInMs,
          homeTenantId: config.appTenantId,
        })
      : undefined;
  const bot = new RevokerBot({
    auditCommand,
    appId: config.appId,
    service,
    gate,
    presenter,
    store: storage.state,
    logger,
    allowedTenants: config.allowedTenants,
    invokeBudgetInMs: config.invokeBudgetInMs,
    clock,
    rateLimiter,
    telemetry,
    bulk: {
      service: bulkService,
      cards,
      maxTargets: config.bulkMaxTargets,
    },
    schedules: { service: schedules },
    selections: new SavedSelections(storage.state, clock),
    evidence: {
      signIns: new SignInChecks({ store: storage.state, audit, clock, maxAccessTokenLifetimeInMs: config.maxAccessTokenLifetimeInMs }),
      methods: new MethodsReview({
        store: storage.state,
        audit,
        clock,
        requestTtlInMs: config.requestTtlInMs,
        approvalTtlInMs: config.approvalTtlInMs,
      }),
    },
    approvals: securityChannel
      ? {
          channel: securityChannel,
          requests: new ApprovalWorkflow(
            requestApprovals({
              store: storage.state,
              audit,
              clock,
              requestTtlInMs: config.requestTtlInMs,
              approvalTtlInMs: config.approvalTtlInMs,
              staleExecutionAfterInMs: config.executionStaleAfterInMs,
            }),
            { store: storage.state, audit, clock, approvalTtlInMs: config.approvalTtlInMs, onError: reportError },
          ),
          bulk: new ApprovalWorkflow(bulkApprovals(bulkService), {
            store: storage.state,
            audit,
            clock,
            approvalTtlInMs: config.approvalTtlInMs,
            onError: reportError,
          }),
          schedules: new ApprovalWorkflow(scheduleApprovals(schedules), {
            store: storage.state,
            audit,
            clock,
            approvalTtlInMs: config.approvalTtlInMs,
            onError: reportError,
          }),
          ...(alertWorkflow && alertIntake
            ? {
                alerts: alertWorkflow,
                alertIntake,
                alertDetails: new AlertDetailsService({ store: storage.state, audit, clock }),
              }
            : {}),
        }
      : undefined,
  });
  // One loop reads what is due from storage (no timer per schedule): due cards survive restarts.
  const scheduler = new SchedulerLoop({
    bot: bot.services,
    adapter,
    service: schedules,
    pollIntervalInMs: config.schedulePollIntervalInMs,
    reminderAfterInMs: config.scheduleReminderAfterInMs,
  });
  const http = createHttpServer({
    port: config.port,
    host: options.host ?? config.listenAddress,
    logger,
    readiness: () => storage.state.check(),
    degradation: () => audit.degradation(),
    alerts:
      alertIntake && alertSettings
        ? {
            admit: async (authorization) => {
              const admitted = await alertIntake.admit(authorization);
              return admitted.ok ? { ok: true, receive: (body) => alertIntake.receive(admitted.caller, body) } : admitted;
            },
          }
        : undefined,
    handleActivity: (authHeader, activity, turnStarted) =>
      adapter.handle(authHeader, activity, async (context) => {
        turnStarted();
        await bot.run(context);
      }),
  });
  const url = await http.listen();
  logger.info({ url, mode: 'production', telemetry: telemetry ? 'Application Insights' : 'off' }, 'Session Revoker is listening');
  scheduler.start();
  return {
    url,
    logger,
    close: async () => {
      clearInterval(expirySweep);
      await scheduler.stop();
      await http.close();
      // Before draining: no new batch goes out; batches already out are recorded and the run's
      // lease released, so the next start resumes it at once.
      await bulkService.close();
      await bot.drain();
      await audit.close();
      await storage.close();
      // Last: what the shutdown itself recorded is exported too.
      await telemetry?.close();
    },
  };
}

/** One error line per audit record set aside; when it could not even be kept, the line carries the whole record. */
function logSetAside(logger: Logger, event: SetAsideEvent): void {
  const about = { action: event.entry.action, requestId: event.entry.requestId, reason: event.reason, err: event.error };
  if (event.failure !== undefined)
    logger.error(
      { ...about, record: event.entry, failure: event.failure },
      'audit record could not be set aside: this log line is the only copy',
    );
  else if (event.reason === 'refused')
    logger.error({ ...about, file: event.where }, 'audit record refused by the audit log for good: set aside for an operator');
  else
    logger.error(
      { ...about, file: event.where },
      'audit record not written yet: set aside, to be written when the audit log takes records again',
    );
}
