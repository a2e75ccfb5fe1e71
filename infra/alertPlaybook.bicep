// A Microsoft Sentinel playbook that sends incidents to Session Revoker's POST /api/alerts with a
// managed identity: no shared secret, no stored connection to the bot (docs/alerts.md).
//
//   Sentinel incident (automation rule "run playbook")
//     → Entities - Get Accounts (the incident's account entities: AadUserId, Name, UPNSuffix)
//     → HTTP POST https://<bot>/api/alerts, authentication ManagedServiceIdentity,
//       audience = the bot API's Application ID URI (ALERT_AUDIENCE)
//
// After deploying: put the output `callerClientId` into the bot's ALERT_CALLER_APP_IDS, give the
// identity the Microsoft Sentinel Responder role on the workspace (for the Sentinel connector), and,
// if you set ALERT_CALLER_ROLE, assign it that app role on the bot's API (docs/alerts.md §2).
//
// Deploy:  az deployment group create -g <resource-group> -f infra/alertPlaybook.bicep \
//            -p botHostName=<app>.azurewebsites.net botAppIdUri=api://botid-<app id>
// Not compiled in this repository's CI (no Bicep compiler offline); `az bicep build -f
// infra/alertPlaybook.bicep` checks it where the Azure CLI is installed.
// References: https://learn.microsoft.com/azure/logic-apps/authenticate-with-managed-identity
//             https://learn.microsoft.com/azure/sentinel/automate-responses-with-playbooks

targetScope = 'resourceGroup'

@description('Azure region of the playbook and its identity.')
param location string = resourceGroup().location

@description('Name of the playbook (Logic App).')
param playbookName string = 'SessionRevoker-Alert'

@description('The bot\'s host name, e.g. revoker-contoso-app.azurewebsites.net (main.bicep output botDomain).')
param botHostName string

@description('The audience the identity asks Entra for: the bot API\'s Application ID URI (ALERT_AUDIENCE, SSO_APP_ID_URI by default).')
param botAppIdUri string

@allowed([ 'sentinel', 'defender' ])
@description('What the bot shows as the alert\'s source.')
param alertSource string = 'sentinel'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${playbookName}-identity'
  location: location
}

// The Microsoft Sentinel connector, signed in as the playbook's managed identity.
resource sentinelConnection 'Microsoft.Web/connections@2016-06-01' = {
  name: 'azuresentinel-${playbookName}'
  location: location
  kind: 'V1'
  properties: {
    displayName: playbookName
    api: { id: subscriptionResourceId('Microsoft.Web/locations/managedApis', location, 'azuresentinel') }
    parameterValueType: 'Alternative'
  }
}

resource playbook 'Microsoft.Logic/workflows@2019-05-01' = {
  name: playbookName
  location: location
  tags: { 'hidden-SentinelTemplateName': 'SessionRevoker-Alert' }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    state: 'Enabled'
    parameters: {
      '$connections': {
        value: {
          azuresentinel: {
            connectionId: sentinelConnection.id
            connectionName: sentinelConnection.name
            id: subscriptionResourceId('Microsoft.Web/locations/managedApis', location, 'azuresentinel')
            connectionProperties: {
              authentication: { type: 'ManagedServiceIdentity', identity: identity.id }
            }
          }
        }
      }
    }
    definition: {
      '$schema': 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#'
      contentVersion: '1.0.0.0'
      parameters: {
        '$connections': { defaultValue: {}, type: 'Object' }
      }
      triggers: {
        Microsoft_Sentinel_incident: {
          type: 'ApiConnectionWebhook'
          inputs: {
            host: { connection: { name: '@parameters(\'$connections\')[\'azuresentinel\'][\'connectionId\']' } }
            body: { callback_url: '@{listCallbackUrl()}' }
            path: '/incident-creation'
          }
        }
      }
      actions: {
        'Entities_-_Get_Accounts': {
          type: 'ApiConnection'
          runAfter: {}
          inputs: {
            host: { connection: { name: '@parameters(\'$connections\')[\'azuresentinel\'][\'connectionId\']' } }
            method: 'post'
            path: '/entities/account'
            body: '@triggerBody()?[\'object\']?[\'properties\']?[\'relatedEntities\']'
          }
        }
        Send_to_Session_Revoker: {
          type: 'Http'
          runAfter: { 'Entities_-_Get_Accounts': [ 'Succeeded' ] }
          inputs: {
            method: 'POST'
            uri: 'https://${botHostName}/api/alerts'
            headers: { 'Content-Type': 'application/json' }
            body: {
              source: alertSource
              externalId: '@{triggerBody()?[\'object\']?[\'name\']}'
              title: '@{triggerBody()?[\'object\']?[\'properties\']?[\'title\']}'
              severity: '@{triggerBody()?[\'object\']?[\'properties\']?[\'severity\']}'
              link: '@{triggerBody()?[\'object\']?[\'properties\']?[\'incidentUrl\']}'
              details: '@{triggerBody()?[\'object\']?[\'properties\']?[\'description\']}'
              accounts: '@body(\'Entities_-_Get_Accounts\')?[\'Accounts\']'
            }
            // The bot accepts no shared secret: the identity gets an Entra token for the bot's API.
            authentication: {
              type: 'ManagedServiceIdentity'
              identity: identity.id
              audience: botAppIdUri
            }
            // A repeat of the same incident posts nothing (the bot answers 200 with the card's id).
            retryPolicy: { type: 'exponential', count: 4, interval: 'PT20S' }
          }
        }
      }
    }
  }
}

@description('The managed identity\'s client id: put it into the bot\'s ALERT_CALLER_APP_IDS.')
output callerClientId string = identity.properties.clientId
@description('Its service principal\'s object id (for role assignments).')
output callerPrincipalId string = identity.properties.principalId
