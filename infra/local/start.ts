import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startStack, DEFAULT_PORTS, portsFrom, type StackPorts } from './stack';
import { StackError } from './net';

const USAGE = `usage: npm start -- [--data DIR] [--reset] [--base-port N] [--no-scheduler] [--dynamodb-in-memory]
  --data DIR       where the stack keeps its state (default .data/local)
  --reset          delete the data folder first and start from nothing
  --base-port N    use ports N..N+4 for api, chain, dynamodb, kms, s3
                   (default api ${DEFAULT_PORTS.api}, chain ${DEFAULT_PORTS.chain}, dynamodb ${DEFAULT_PORTS.dynamodb}, kms ${DEFAULT_PORTS.kms}, s3 ${DEFAULT_PORTS.s3})
  --no-scheduler   do not fire schedules by themselves (POST /_local/schedules/NAME/run still does)
  --dynamodb-in-memory
                   DynamoDB Local keeps its tables in memory, not in SQLite files under the data
                   folder: less CPU per write, but no DynamoDB item survives a restart`;

function fail(message: string): never {
  process.stderr.write(`ssi-local: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  // The SDK's notice about future Node versions would bury the stack's own output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        data: { type: 'string' },
        reset: { type: 'boolean', default: false },
        'base-port': { type: 'string' },
        'no-scheduler': { type: 'boolean', default: false },
        'dynamodb-in-memory': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let ports: StackPorts = DEFAULT_PORTS;
  const basePort = values['base-port'] ?? process.env.SSI_BASE_PORT;
  if (basePort !== undefined) {
    const base = Number(basePort);
    if (!Number.isInteger(base) || base < 1024 || base > 65530) fail(`--base-port must be an integer between 1024 and 65530, got ${basePort}`);
    ports = portsFrom(base);
  }
  const dataDir = resolve(values.data ?? process.env.SSI_DATA_DIR ?? resolve(__dirname, '../../.data/local'));
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };

  let stopping = false;
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`\n${signal}: stopping the local stack`);
    await stack?.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  try {
    stack = await startStack({ dataDir, ports, reset: values.reset, scheduler: !values['no-scheduler'], dynamodbInMemory: values['dynamodb-in-memory'], log });
  } catch (error) {
    if (error instanceof StackError) fail(error.message);
    fail(`could not start: ${(error as Error).message}`);
  }
  if (stopping) return;
  const { file } = stack;
  log('');
  log('SSI local stack is up');
  log(`  HTTP API     ${file.api}   (health: ${file.health})`);
  log(`  chain RPC    ${file.rpc}   (chain id ${file.chainId})`);
  log(`  DynamoDB     ${file.dynamodb}`);
  log(`  KMS          ${file.kms}   (operator signer ${file.keys.operator?.address})`);
  log(`  S3           ${file.s3}`);
  log(`  indexes      ${Object.entries(file.indexes).map(([s, a]) => `${s} ${a}`).join(', ') || 'none deployed yet'}`);
  log(`  PMM          ${file.pmm.rfqUrl}   (maker ${file.pmm.address})`);
  log(`  WLP          ${file.wlp.address}   (Hardhat account #1, USDC funded, participant)`);
  log(`  WLP API key  ${file.wlp.apiKey}`);
  log(`  endpoints and addresses: ${stack.stackFilePath}`);
  log('');
  log('Try it:');
  log(`  curl -s -X POST ${file.api}/v1/quotes -H 'content-type: application/json' -H 'x-api-key: ${file.wlp.apiKey}' \\`);
  log(`       -d '{"index":"MAG7.ssi","side":"mint","amount":"1"}'`);
  const dataFlag = dataDir === resolve(__dirname, '../../.data/local') ? '' : ` --data ${dataDir}`;
  log(`  npx ssi mint --index MAG7.ssi --amount 1${dataFlag}    then    npx ssi status${dataFlag}    and    npx ssi redeem --index MAG7.ssi --amount 1${dataFlag}`);
  log('Ctrl-C stops everything.');
}

void main();
