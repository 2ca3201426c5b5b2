#!/usr/bin/env node
'use strict';
// The `etcd-ha` command. It runs the TypeScript sources through tsx, so `npx etcd-ha` needs no build step.
require('tsx/cjs/api').register();

// The AWS SDK warns on every command that Node 20 support ends; the CLI's own output should not drown in it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// gRPC sets the TLS server name to the member's IP (etcd members are addressed by IP); Node warns
// about that (DEP0123) on every connection. The certificate is still checked against the IP SAN.
const emitWarning = process.emitWarning;
process.emitWarning = function filteredEmitWarning(warning, ...rest) {
  const code = typeof rest[0] === 'object' && rest[0] !== null ? rest[0].code : rest[1];
  if (code === 'DEP0123') return;
  return emitWarning.call(process, warning, ...rest);
};
require('./cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
