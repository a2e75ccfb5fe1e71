import assert from 'node:assert/strict';
import { readConfig } from '../../src/config/config';
import { readTelemetrySettings } from '../../src/config/telemetryConfig';

const BASE = {
  MicrosoftAppId: '3f1e2d4c-5b6a-4978-8a9b-000000000001',
  MicrosoftAppPassword: 'not-a-real-secret',
  MicrosoftAppTenantId: '8a2a7c2e-0d6b-4f59-9d3c-1c2f6a4e7b10',
};
const KEY = '5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const CONNECTION = `InstrumentationKey=${KEY};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/;ApplicationId=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d`;

describe('telemetry settings (APPLICATIONINSIGHTS_CONNECTION_STRING)', function () {
  it('when the variable is unset or blank, then telemetry is off and nothing is wrong', function () {
    const problems: string[] = [];
    assert.equal(readTelemetrySettings({}, problems), undefined);
    assert.equal(readTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: '  ' }, problems), undefined);
    assert.deepEqual(problems, []);
    const result = readConfig(BASE);
    assert.ok(result.ok && result.config.telemetry === undefined);
  });

  it('when a connection string as the Azure portal shows it is set, then the config carries it whole', function () {
    const result = readConfig({ ...BASE, APPLICATIONINSIGHTS_CONNECTION_STRING: ` ${CONNECTION} ` });
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.config.telemetry, { connectionString: CONNECTION });
  });

  it('when the instrumentation key is missing or not a GUID, then start-up names the variable and never echoes its value', function () {
    for (const value of ['IngestionEndpoint=https://example.in.applicationinsights.azure.com/', 'InstrumentationKey=abc123secretish']) {
      const result = readConfig({ ...BASE, APPLICATIONINSIGHTS_CONNECTION_STRING: value });
      assert.ok(!result.ok);
      assert.equal(result.problems.length, 1);
      assert.match(result.problems[0] ?? '', /APPLICATIONINSIGHTS_CONNECTION_STRING must name an InstrumentationKey/);
      assert.ok(!result.problems[0]?.includes(value) && !result.problems[0]?.includes('abc123'), result.problems[0]);
    }
  });

  it('when an endpoint in it is not https, then start-up refuses it: telemetry would travel in clear text', function () {
    const problems: string[] = [];
    const value = `InstrumentationKey=${KEY};IngestionEndpoint=http://collector.example/`;
    assert.equal(readTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: value }, problems), undefined);
    assert.deepEqual(problems, ['APPLICATIONINSIGHTS_CONNECTION_STRING: every endpoint in it must be an https URL; one is not.']);
  });
});
