#!/usr/bin/env node
// The CLI runs from TypeScript sources through tsx, so a git checkout works without a build step.
require('tsx/cjs');
require('../src/cli/main.ts');
