#!/usr/bin/env node
// The CLI is TypeScript run through tsx so that it shares the domain code with the Lambdas.
require('tsx/cjs');
require('../cli/main.ts');
