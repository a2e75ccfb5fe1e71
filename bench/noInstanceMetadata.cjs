/*
 * Preloaded (node --require) into the bot of `BENCH_APP_INSIGHTS=1 npm run bench`: Azure Monitor's
 * OpenTelemetry distribution asks Azure's instance metadata service (169.254.169.254) at start-up
 * whether it runs on a VM. Here that question goes to a loopback port where nothing listens and is
 * refused at once, as anywhere off Azure, so the benchmark sends nothing off this machine.
 */
'use strict';
const http = require('node:http');

const INSTANCE_METADATA_HOST = '169.254.169.254';
const request = http.request;
http.request = function (options, ...rest) {
  const asked =
    options && typeof options === 'object' && (options.host === INSTANCE_METADATA_HOST || options.hostname === INSTANCE_METADATA_HOST);
  return request.call(http, asked ? { ...options, host: '127.0.0.1', hostname: '127.0.0.1', port: 9 } : options, ...rest);
};
