#!/usr/bin/env node
'use strict';
// The `etcd-ha` command. It runs the TypeScript sources through tsx, so `npx etcd-ha` needs no build step.
require('tsx/cjs/api').register();
require('./cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
