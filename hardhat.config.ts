import { subtask } from 'hardhat/config';
import {
  TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD,
  TASK_COMPILE_SOLIDITY_RUN_SOLCJS,
} from 'hardhat/builtin-tasks/task-names';
import type { HardhatUserConfig } from 'hardhat/types';
import '@nomicfoundation/hardhat-ethers';
import '@openzeppelin/hardhat-upgrades';

// The compiler comes from the pinned npm `solc` package: these machines cannot download
// Hardhat's native compiler builds, and a pinned package keeps every build byte-identical.
const solcPackage = require('solc/package.json') as { version: string };
const SOLC_VERSION = solcPackage.version;

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async ({ solcVersion }: { solcVersion: string }) => {
  if (solcVersion !== SOLC_VERSION) {
    throw new Error(`hardhat.config.ts asks for solc ${solcVersion} but the installed npm solc is ${SOLC_VERSION}`);
  }
  const solc = require('solc') as { version(): string };
  return {
    compilerPath: require.resolve('solc/soljson.js'),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  };
});

interface StandardJsonInput {
  sources: Record<string, { content?: string; urls?: string[] }>;
  [key: string]: unknown;
}

// solc-js copies its whole input onto a small wasm stack and fails with "memory access out of
// bounds" past about 2 MB; handing it only source names and serving the text through the import
// callback keeps that copy small however many OpenZeppelin files a job pulls in.
subtask(TASK_COMPILE_SOLIDITY_RUN_SOLCJS).setAction(async ({ input }: { input: StandardJsonInput }) => {
  const solc = require('solc') as {
    compile(input: string, callbacks: { import(path: string): { contents: string } | { error: string } }): string;
  };
  const contents = new Map<string, string>();
  const sources: StandardJsonInput['sources'] = {};
  for (const [name, source] of Object.entries(input.sources)) {
    contents.set(name, source.content ?? '');
    sources[name] = { urls: [name] };
  }
  const output = solc.compile(JSON.stringify({ ...input, sources }), {
    import: (path) => {
      const text = contents.get(path);
      return text === undefined ? { error: `source ${path} is not part of this compilation job` } : { contents: text };
    },
  });
  return JSON.parse(output);
});

const config: HardhatUserConfig = {
  solidity: {
    compilers: [{ version: SOLC_VERSION, settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun', viaIR: false } }],
    overrides: {
      // Fewer optimizer runs keep the Rebalancer (price, allow-list and window-loss checks) under the 24,576-byte limit.
      'contracts/index/Rebalancer.sol': {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 1 }, evmVersion: 'cancun', viaIR: false },
      },
      // Likewise USSI (index-token burns, vault routes and tracked payouts) and its test upgrade.
      'contracts/ussi/USSI.sol': { version: SOLC_VERSION, settings: { optimizer: { enabled: true, runs: 1 }, evmVersion: 'cancun', viaIR: false } },
      'contracts/mocks/USSIV2.sol': { version: SOLC_VERSION, settings: { optimizer: { enabled: true, runs: 1 }, evmVersion: 'cancun', viaIR: false } },
      // The AttestedIssuer (attested legs of mints, redeems and their refunds, plus the refusal to accept a redeem while
      // the index rebalances) fits only with one run.
      'contracts/index/AttestedIssuer.sol': {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 1 }, evmVersion: 'cancun', viaIR: false },
      },
      // The AttestedRebalancer (order checks, attested legs, both kinds of settlement) fits only with one run and the IR pipeline.
      'contracts/index/AttestedRebalancer.sol': {
        version: SOLC_VERSION,
        settings: { optimizer: { enabled: true, runs: 1 }, evmVersion: 'cancun', viaIR: true },
      },
    },
  },
  paths: {
    sources: './contracts',
    tests: './test/contracts',
    cache: './.cache/hardhat',
    artifacts: './artifacts',
  },
  networks: {
    hardhat: { chainId: 31337, allowUnlimitedContractSize: false },
    localhost: { url: process.env.SSI_RPC_URL ?? 'http://127.0.0.1:8545', chainId: 31337 },
  },
};

export default config;
