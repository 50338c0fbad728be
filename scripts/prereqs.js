#!/usr/bin/env node
// Checks what `npm start` and `npm test` need beyond npm packages: a Java runtime for DynamoDB
// Local. With --install (used by .ci/run) it installs one through apt-get when it can;
// otherwise it says exactly what to install and exits non-zero.
const { spawnSync } = require('node:child_process');

function javaMajor() {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(probe.stderr + probe.stdout);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

const REQUIRED_JAVA = 11;
let major = javaMajor();
if ((major === undefined || major < REQUIRED_JAVA) && process.argv.includes('--install')) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('apt-get', ['--version']).status === 0;
  if (isRoot && hasApt) {
    console.error('prereqs: installing a Java runtime for DynamoDB Local (apt-get install openjdk-17-jre-headless)');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    spawnSync('apt-get', ['install', '-y', '-qq', 'openjdk-17-jre-headless'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    major = javaMajor();
  }
}
if (major === undefined || major < REQUIRED_JAVA) {
  console.error(
    `prereqs: DynamoDB Local needs Java ${REQUIRED_JAVA} or newer on the PATH, found ${major === undefined ? 'none' : `Java ${major}`}.\n` +
      '  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless\n' +
      '  macOS:         brew install openjdk@17',
  );
  process.exit(1);
}
if (Number(process.versions.node.split('.')[0]) < 20) {
  console.error(`prereqs: Node 20 or newer is required, found ${process.version}`);
  process.exit(1);
}
