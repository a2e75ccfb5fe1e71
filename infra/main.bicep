// Session Revoker on Azure: the Azure Bot (Teams channel, OAuth connection for sign-in in
// channels), a Linux App Service that builds the bot during deployment and runs `node .`, a
// storage account for state and the audit trail (STORAGE=blob, so state survives restarts and
// several instances share it), and Application Insights (on a Log Analytics workspace) for the
// bot's traces and metrics (APPLICATIONINSIGHTS_CONNECTION_STRING).
// The Entra app registration is NOT created here: an Entra admin creates it (docs/going-live.md).
//
// Deploy:  az deployment group create -g <resource-group> -f infra/main.bicep -p infra/main.parameters.json \
//            -p microsoftAppPassword=<client secret value>
// Not compiled in this repository's CI (no Bicep compiler is available offline); `az bicep build
// -f infra/main.bicep` checks it where the Azure CLI is installed.

targetScope = 'resourceGroup'

@description('Azure region for the App Service and the storage account (the Azure Bot itself is global).')
param location string = resourceGroup().location

@minLength(3)
@maxLength(20)
@description('Prefix of every resource name, e.g. revoker-contoso.')
param baseName string

@description('The Entra app registration\'s Application (client) ID: the bot\'s MicrosoftAppId.')
param microsoftAppId string

@description('Your Directory (tenant) ID: the app registration is single-tenant.')
param microsoftAppTenantId string

@secure()
@description('A client secret of the app registration (its Value). Used by the bot and by the OAuth connection.')
param microsoftAppPassword string

@description('The Application ID URI the app registration exposes (the manifest\'s webApplicationInfo.resource).')
param ssoAppIdUri string = 'api://botid-${microsoftAppId}'

@description('Name of the OAuth connection on the Azure Bot (OAUTH_CONNECTION_NAME).')
param oauthConnectionName string = 'revoker-sso'

@description('Teams channel id (19:…@thread.tacv2) for approvals; empty = requesters confirm their own revokes.')
param securityChannelId string = ''

@description('Client ids of the managed identities allowed to send alerts to /api/alerts (comma separated; alertPlaybook.bicep outputs one); empty = alerts off.')
param alertCallerAppIds string = ''

@description('App Service plan SKU. B1 is enough for a helpdesk; use P1v3 for zone redundancy.')
param appServiceSku string = 'B1'

@allowed([ 'F0', 'S1' ])
@description('Azure Bot SKU: F0 is free and enough for Teams (standard channels are free on S1 too).')
param botSku string = 'F0'

var webAppName = '${baseName}-app'
var storageName = toLower(take(replace('${baseName}st${uniqueString(resourceGroup().id)}', '-', ''), 24))

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true // the bot's STORAGE=blob backend uses a connection string
  }
}

// Telemetry: the bot exports its own spans and metrics here when APPLICATIONINSIGHTS_CONNECTION_STRING
// is set (docs/going-live.md, "Telemetry"). Workspace-based, as new Application Insights resources are.
resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${baseName}-logs'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${baseName}-insights'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${baseName}-plan'
  location: location
  kind: 'linux'
  sku: { name: appServiceSku }
  properties: { reserved: true }
}

resource webApp 'Microsoft.Web/sites@2023-12-01' = {
  name: webAppName
  location: location
  kind: 'app,linux'
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    siteConfig: {
      linuxFxVersion: 'NODE|20-lts'
      // The compiled bot (package.json's main). Without a start command App Service would run
      // `npm start`, which is the local demo (it refuses to start with MicrosoftAppId set).
      appCommandLine: 'node .'
      alwaysOn: true
      http20Enabled: true
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      healthCheckPath: '/healthz'
      appSettings: [
        { name: 'MicrosoftAppId', value: microsoftAppId }
        { name: 'MicrosoftAppPassword', value: microsoftAppPassword }
        { name: 'MicrosoftAppTenantId', value: microsoftAppTenantId }
        { name: 'MicrosoftAppType', value: 'SingleTenant' }
        { name: 'SSO_APP_ID_URI', value: ssoAppIdUri }
        { name: 'OAUTH_CONNECTION_NAME', value: oauthConnectionName }
        { name: 'SECURITY_CHANNEL_ID', value: securityChannelId }
        { name: 'ALLOWED_TENANTS', value: microsoftAppTenantId }
        { name: 'ALERT_CALLER_APP_IDS', value: alertCallerAppIds }
        { name: 'STORAGE', value: 'blob' }
        { name: 'AZURE_STORAGE_CONNECTION_STRING', value: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}' }
        { name: 'AZURE_STORAGE_CONTAINER', value: 'session-revoker' }
        // The audit trail's own container: put a time-based retention (WORM) policy on it (docs/going-live.md).
        { name: 'AZURE_STORAGE_AUDIT_CONTAINER', value: 'session-revoker-audit' }
        // Telemetry on. Leave App Service's own Application Insights agent off (no
        // ApplicationInsightsAgent_EXTENSION_VERSION): it would record every HTTP call with its full
        // URL, and Graph URLs carry user principal names.
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
        { name: 'PORT', value: '8080' }
        { name: 'WEBSITES_PORT', value: '8080' }
        // Build during deployment (Oryx): npm install with the devDependencies, then npm run build
        // (tsc into dist/); only the production dependencies are copied to the app. See
        // https://learn.microsoft.com/azure/app-service/configure-language-nodejs?pivots=platform-linux
        // and https://learn.microsoft.com/azure/app-service/reference-app-settings (build automation).
        // No NODE_ENV=production here: the install would skip the compiler the build needs.
        { name: 'SCM_DO_BUILD_DURING_DEPLOYMENT', value: 'true' }
        { name: 'PRUNE_DEV_DEPENDENCIES', value: 'true' }
      ]
    }
  }
}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: '${baseName}-bot'
  location: 'global'
  kind: 'azurebot'
  sku: { name: botSku }
  properties: {
    displayName: 'Session Revoker'
    endpoint: 'https://${webApp.properties.defaultHostName}/api/messages'
    msaAppId: microsoftAppId
    msaAppType: 'SingleTenant'
    msaAppTenantId: microsoftAppTenantId
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: { isEnabled: true }
  }
}

// The visible sign-in where Teams has no SSO (channels): the Bot Framework token service signs
// the person in with this registration and hands the bot a token for the bot's OWN API
// (access_as_user), which the bot checks and exchanges on-behalf-of for Graph, exactly like a
// Teams SSO token. Token exchange URL = the Application ID URI.
resource oauthConnection 'Microsoft.BotService/botServices/connections@2022-09-15' = {
  parent: bot
  name: oauthConnectionName
  location: 'global'
  properties: {
    serviceProviderDisplayName: 'Azure Active Directory v2'
    serviceProviderId: '30dd229c-58e3-4a48-bdfd-91ec48eb906c'
    clientId: microsoftAppId
    clientSecret: microsoftAppPassword
    scopes: '${ssoAppIdUri}/access_as_user'
    parameters: [
      { key: 'tenantID', value: microsoftAppTenantId }
      { key: 'tokenExchangeUrl', value: ssoAppIdUri }
    ]
  }
}

@description('BOT_DOMAIN for npm run package (the manifest\'s validDomains).')
output botDomain string = webApp.properties.defaultHostName
@description('The messaging endpoint the Azure Bot calls.')
output messagingEndpoint string = 'https://${webApp.properties.defaultHostName}/api/messages'
