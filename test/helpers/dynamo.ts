import { createServer } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamo, ensureTables, type RunningDynamo } from '../../infra/local/dynamodb';
import { localCredentials, LOCAL_REGION } from '../../infra/local/credentials';
import type { TableName } from '../../topology';

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface TestDynamo {
  endpoint: string;
  tables: Record<TableName, string>;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/**
 * Real DynamoDB Local, in memory, with every declared table: for tests of code that reads and
 * writes DynamoDB. `prefix` keeps parallel suites' tables apart.
 */
export async function startTestDynamo(prefix = `t${process.pid}`): Promise<TestDynamo> {
  const dynamo: RunningDynamo = await startDynamo(await freePort());
  const tables = await ensureTables(dynamo.endpoint, prefix);
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: localCredentials });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    endpoint: dynamo.endpoint,
    tables,
    client,
    doc,
    stop: async () => {
      client.destroy();
      await dynamo.stop();
    },
  };
}
