#!/usr/bin/env node
// Checks what `npm start` and `npm test` need beyond npm packages: a Java runtime for DynamoDB
// Local and Debian's Chromium for the browser tests. With --install (used by .ci/run) it installs
// what is missing through apt-get when it can; otherwise it says exactly what to install and exits non-zero.
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');

const canApt = () => typeof process.getuid === 'function' && process.getuid() === 0 && spawnSync('apt-get', ['--version']).status === 0;
let aptUpdated = false;
function aptInstall(what, pkg) {
  console.error(`prereqs: installing ${what} (apt-get install ${pkg})`);
  if (!aptUpdated) spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  aptUpdated = true;
  spawnSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

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
  if (canApt()) {
    aptInstall('a Java runtime for DynamoDB Local', 'openjdk-17-jre-headless');
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
// The browser tests drive this exact executable (test/web), so it is checked by path.
const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM) && process.argv.includes('--install') && canApt()) aptInstall('Chromium for the browser tests', 'chromium');
if (!existsSync(CHROMIUM)) {
  console.error(`prereqs: the browser tests need Debian's Chromium at ${CHROMIUM}, found none.\n  Debian/Ubuntu: sudo apt-get install -y chromium`);
  process.exit(1);
}
if (Number(process.versions.node.split('.')[0]) < 20) {
  console.error(`prereqs: Node 20 or newer is required, found ${process.version}`);
  process.exit(1);
}
