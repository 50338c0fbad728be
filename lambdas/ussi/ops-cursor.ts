/** A request-id cursor of a USSI schedule, kept in the `ops` table (`pk ussi`, `sk <name>`); 1 when never stored. */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/aws';
import { tableName } from '../shared/config';

export function opsCursor(name: 'confirm-cursor' | 'payout-cursor'): { get(): Promise<bigint>; put(next: bigint): Promise<void> } {
  const key = { pk: 'ussi', sk: name };
  return {
    get: async () => {
      const { Item } = await dynamo().send(new GetCommand({ TableName: tableName('ops'), Key: key }));
      return Item?.next === undefined ? 1n : BigInt(Item.next as string);
    },
    put: async (next) => {
      await dynamo().send(new PutCommand({ TableName: tableName('ops'), Item: { ...key, next: String(next), updatedAt: new Date().toISOString() } }));
    },
  };
}
