import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { ensureTables } from '../../../infra/local/dynamodb';
import { TABLES, type TableName, type TableSpec } from '../../../topology';
import { startTestDynamo, type TestDynamo } from '../../helpers/dynamo';

describe('DynamoDB Local tables from the topology', () => {
  let dynamo: TestDynamo;
  beforeAll(async () => {
    dynamo = await startTestDynamo('tables');
  });
  afterAll(() => dynamo?.stop());

  test('every declared table exists with its declared keys, indexes and TTL', async () => {
    for (const spec of TABLES as readonly TableSpec[]) {
      const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: dynamo.tables[spec.name as TableName] }));
      const keys = Object.fromEntries((Table?.KeySchema ?? []).map((k) => [k.KeyType, k.AttributeName]));
      expect(keys.HASH).toBe(spec.partitionKey.name);
      expect(keys.RANGE).toBe(spec.sortKey?.name);
      const declaredIndexes = (spec.globalIndexes ?? []).map((i) => i.name).sort();
      expect((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort()).toEqual(declaredIndexes);
      const ttl = await dynamo.client.send(new DescribeTimeToLiveCommand({ TableName: dynamo.tables[spec.name as TableName] }));
      if (spec.ttlAttribute) {
        expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: spec.ttlAttribute });
      } else {
        expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).not.toBe('ENABLED');
      }
    }
  });

  test('creating the tables again keeps them (a restart does not wipe data)', async () => {
    await expect(ensureTables(dynamo.endpoint, 'tables')).resolves.toEqual(dynamo.tables);
  });
});
