/** The local stack's AWS identity. */
// s3rver only accepts its own fixed key pair; the others take anything, so everything uses it.
export const localCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const LOCAL_REGION = 'us-east-1';
