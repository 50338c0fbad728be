import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { SsiEnvironment } from '../environment';
import type { AttributeType, BucketSpec, TableSpec } from '../topology';
import { bucketPhysicalName, checkNameLength, tablePhysicalName } from '../constructs/naming';
import { acknowledge } from '../constructs/nag';
import { DECLARED_TOPOLOGY, type Topology } from './declared';

export interface DataStackProps extends StackProps {
  readonly ssi: SsiEnvironment;
  /** @default the declared topology (topology/index.ts) */
  readonly topology?: Topology;
}

/**
 * State that outlives every deploy: the declared DynamoDB tables and S3 buckets. Everything here
 * is retained when the stack is deleted, tables refuse deletion, and the reports bucket keeps
 * every version of every object under object lock.
 */
export class DataStack extends Stack {
  readonly tables: Readonly<Record<string, dynamodb.Table>>;
  readonly buckets: Readonly<Record<string, s3.Bucket>>;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const topology = props.topology ?? DECLARED_TOPOLOGY;
    const { name } = props.ssi;
    this.tables = Object.fromEntries(topology.tables.map((spec) => [spec.name, this.table(name, spec)]));

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.accessLogs, 'AwsSolutions-S1', 'This bucket is the server access log destination; logging its own access would loop.');

    const retention = props.ssi.config.reportRetention;
    this.buckets = Object.fromEntries(topology.buckets.map((spec) => [spec.name, this.bucket(name, spec, retention)]));
  }

  private table(environmentName: string, spec: TableSpec): dynamodb.Table {
    const attribute = (a: { name: string; type: AttributeType }): dynamodb.Attribute => ({
      name: a.name,
      type: a.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
    });
    const tableName = tablePhysicalName(environmentName, spec.name);
    checkNameLength('DynamoDB table', tableName, 255);
    const table = new dynamodb.Table(this, `Table-${spec.name}`, {
      tableName,
      partitionKey: attribute(spec.partitionKey),
      sortKey: spec.sortKey ? attribute(spec.sortKey) : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: spec.ttlAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of spec.globalIndexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        sortKey: index.sortKey ? attribute(index.sortKey) : undefined,
      });
    }
    return table;
  }

  private bucket(environmentName: string, spec: BucketSpec, retention: SsiEnvironment['config']['reportRetention']): s3.Bucket {
    const bucketName = bucketPhysicalName(this, environmentName, spec.name);
    checkNameLength('S3 bucket', bucketName, 63);
    return new s3.Bucket(this, `Bucket-${spec.name}`, {
      bucketName,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: `${spec.name}/`,
      // Records (reports, reward trees) are locked for the retention period; working files are
      // rewritten by re-runs and expire instead. A writer that dies mid-upload leaves parts that
      // are billed and invisible to listings.
      ...(spec.expireAfterDays === undefined
        ? {
            objectLockEnabled: true,
            objectLockDefaultRetention:
              retention.mode === 'COMPLIANCE'
                ? s3.ObjectLockRetention.compliance(Duration.days(retention.days))
                : s3.ObjectLockRetention.governance(Duration.days(retention.days)),
            lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(1) }],
          }
        : {
            lifecycleRules: [
              {
                abortIncompleteMultipartUploadAfter: Duration.days(1),
                expiration: Duration.days(spec.expireAfterDays),
                noncurrentVersionExpiration: Duration.days(1),
              },
            ],
          }),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
