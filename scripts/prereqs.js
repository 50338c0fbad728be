#!/usr/bin/env node
// Checks what `npm start` and `npm test` need beyond npm packages: a Java 17 JDK for DynamoDB
// Local (java, and javac for the launcher that binds it to 127.0.0.1, infra/local/java) and Debian's Chromium for the browser tests. With --install (used by .ci/run) it installs
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

/** The major version of `tool` (java or javac) on the PATH, or undefined when there is none. */
function majorOf(tool) {
  const probe = spawnSync(tool, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return undefined;
  const match = /(?:version "|javac )(\d+)(?:\.(\d+))?/.exec(probe.stderr + probe.stdout);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}
/** The JDK's major version when both java and javac are there, else undefined. */
const jdkMajor = () => {
  const java = majorOf('java');
  const javac = majorOf('javac');
  return java === undefined || javac === undefined ? undefined : Math.min(java, javac);
};

const REQUIRED_JAVA = 17;
let major = jdkMajor();
if ((major === undefined || major < REQUIRED_JAVA) && process.argv.includes('--install')) {
  if (canApt()) {
    aptInstall('a Java JDK for DynamoDB Local', 'openjdk-17-jdk-headless');
    major = jdkMajor();
  }
}
if (major === undefined || major < REQUIRED_JAVA) {
  console.error(
    `prereqs: DynamoDB Local needs a Java ${REQUIRED_JAVA} JDK (java and javac) on the PATH, found ${major === undefined ? 'none' : `Java ${major}`}.\n` +
      '  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jdk-headless\n' +
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
