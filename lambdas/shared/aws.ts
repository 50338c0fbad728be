import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';

/*
 * AWS clients, made once per container. Endpoints are the SDK's own: in AWS the regional ones,
 * on the local stack the AWS_ENDPOINT_URL_DYNAMODB / _KMS / _S3 variables it sets, so production
 * code has no local branch.
 */
let lowLevelClient: DynamoDBClient | undefined;
let documentClient: DynamoDBDocumentClient | undefined;
let kmsClient: KMSClient | undefined;
let s3Client: S3Client | undefined;

/** The plain DynamoDB client, for code that writes AttributeValues itself (bulk writers keeping exact numbers). */
export function dynamoClient(): DynamoDBClient {
  lowLevelClient ??= new DynamoDBClient({});
  return lowLevelClient;
}

export function dynamo(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function kms(): KMSClient {
  kmsClient ??= new KMSClient({});
  return kmsClient;
}

export function s3(): S3Client {
  // s3rver serves buckets by path, not by virtual host.
  s3Client ??= new S3Client({ forcePathStyle: process.env.SSI_S3_FORCE_PATH_STYLE === 'true' });
  return s3Client;
}
