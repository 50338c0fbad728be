/** The local stack's AWS identity. */
// s3rver only accepts its own fixed key pair; the others take anything, so everything uses it.
export const localCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const LOCAL_REGION = 'us-east-1';
/** The account id local ARNs carry (the KMS endpoint's, a deploy-shaped run's AWS::AccountId). */
export const LOCAL_ACCOUNT = '000000000000';
