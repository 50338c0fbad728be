import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { randomUUID, createHash, randomInt, randomBytes, generateKeyPairSync, privateDecrypt, createPrivateKey, constants as cryptoConstants, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SigningKey, Wallet } from 'ethers';
import { encodeDerSignature, encodeSpki } from '../../lambdas/domain/crypto/der';
import { listen } from './net';
import { LOCAL_ACCOUNT as ACCOUNT } from './credentials';
import { writeFileAtomically } from './files';

/**
 * A KMS-compatible endpoint for the local stack: the AWS JSON 1.1 protocol that
 * @aws-sdk/client-kms speaks, for ECC_SECG_P256K1 SIGN_VERIFY keys. Keys persist in the stack's
 * data folder so signer addresses survive restarts. Like AWS, Sign returns DER signatures whose
 * s may be high, so signers must normalise it.
 */

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

interface StoredKey {
  keyId: string;
  /** Empty while an EXTERNAL key waits for its imported key material. */
  privateKey: string;
  description: string;
  createdAt: number;
  enabled: boolean;
  /** EXTERNAL: made with Origin EXTERNAL, its key material imported (ImportKeyMaterial). */
  origin?: 'EXTERNAL';
}

interface StoredState {
  keys: StoredKey[];
  aliases: Record<string, string>;
}

class KmsFault extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

/** What the endpoint answers Sign with: s as signed (random high or low), always high, or always low. */
export type HighSMode = 'random' | 'always' | 'never';

export interface KmsServerOptions {
  port: number;
  /** Folder where keys.json is kept; omit for an in-memory store (tests). */
  dataDir?: string;
  region?: string;
  highS?: HighSMode;
}

export interface InjectedFault {
  /** KMS operation to fail (e.g. Sign), or every operation when omitted. */
  operation?: string;
  /** AWS error type to answer with, e.g. ThrottlingException, KMSInternalException. */
  error: string;
  /** How many requests to fail before answering normally again. */
  count: number;
}

export class KeyStore {
  private state: StoredState = { keys: [], aliases: {} };

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as StoredState;
        if (!Array.isArray(parsed.keys) || typeof parsed.aliases !== 'object') throw new Error('unexpected shape');
        for (const key of parsed.keys) if (key.privateKey || key.origin !== 'EXTERNAL') new SigningKey(key.privateKey);
        this.state = parsed;
      } catch (error) {
        throw new Error(`the local KMS key file ${file} is corrupt (${(error as Error).message}); restore it or start with --reset`);
      }
    }
  }

  private persist(): void {
    if (!this.file) return;
    writeFileAtomically(this.file, JSON.stringify(this.state, null, 2), 0o600);
  }

  /** A new key; with origin EXTERNAL, one without key material until ImportKeyMaterial gives it. */
  create(description: string, origin?: 'EXTERNAL'): StoredKey {
    const key: StoredKey = {
      keyId: randomUUID(),
      privateKey: origin === 'EXTERNAL' ? '' : Wallet.createRandom().privateKey,
      description,
      createdAt: Math.floor(Date.now() / 1000),
      enabled: origin !== 'EXTERNAL',
      ...(origin ? { origin } : {}),
    };
    this.state.keys.push(key);
    this.persist();
    return key;
  }

  importMaterial(key: StoredKey, privateKey: string): void {
    key.privateKey = privateKey;
    key.enabled = true;
    this.persist();
  }

  /** Resolves a key id, key ARN, alias name or alias ARN, as KMS does. */
  resolve(reference: string | undefined): StoredKey {
    if (!reference) throw new KmsFault('ValidationException', 'KeyId is required');
    let id = reference;
    const aliasName = reference.includes(':alias/') ? reference.slice(reference.indexOf(':alias/') + 1) : reference;
    if (aliasName.startsWith('alias/')) {
      const target = this.state.aliases[aliasName];
      if (!target) throw new KmsFault('NotFoundException', `Alias ${aliasName} is not found.`);
      id = target;
    } else if (reference.includes(':key/')) {
      id = reference.slice(reference.indexOf(':key/') + 5);
    }
    const key = this.state.keys.find((k) => k.keyId === id);
    if (!key) throw new KmsFault('NotFoundException', `Key '${reference}' does not exist`);
    return key;
  }

  setEnabled(key: StoredKey, enabled: boolean): void {
    key.enabled = enabled;
    this.persist();
  }

  setAlias(aliasName: string, keyId: string, mustBeNew: boolean): void {
    if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(aliasName) || aliasName.startsWith('alias/aws/')) {
      throw new KmsFault('ValidationException', `Alias ${aliasName} is not valid`);
    }
    if (mustBeNew && this.state.aliases[aliasName]) throw new KmsFault('AlreadyExistsException', `An alias with the name ${aliasName} already exists`);
    if (!mustBeNew && !this.state.aliases[aliasName]) throw new KmsFault('NotFoundException', `Alias ${aliasName} is not found.`);
    this.state.aliases[aliasName] = keyId;
    this.persist();
  }

  deleteAlias(aliasName: string): void {
    if (!this.state.aliases[aliasName]) throw new KmsFault('NotFoundException', `Alias ${aliasName} is not found.`);
    delete this.state.aliases[aliasName];
    this.persist();
  }

  get keys(): readonly StoredKey[] {
    return this.state.keys;
  }

  get aliases(): Readonly<Record<string, string>> {
    return this.state.aliases;
  }
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function blob(value: unknown, field: string): Buffer {
  if (typeof value !== 'string') throw new KmsFault('ValidationException', `${field} is required`);
  return Buffer.from(value, 'base64');
}

/** Wrapping algorithms and key sizes this endpoint offers for key material imports (AWS offers more). */
const WRAPPING_ALGORITHM = 'RSAES_OAEP_SHA_256';
const WRAPPING_KEY_BITS: Record<string, number> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };

export class LocalKms {
  private readonly faults: InjectedFault[] = [];
  /** Import tokens handed out by GetParametersForImport, with the wrapping key to unwrap with (memory only, as they expire). */
  private readonly imports = new Map<string, { keyId: string; wrappingKey: KeyObject }>();
  private requests = 0;

  constructor(
    readonly store: KeyStore,
    private readonly region = 'us-east-1',
    private readonly highS: HighSMode = 'random',
  ) {}

  arn(keyId: string): string {
    return `arn:aws:kms:${this.region}:${ACCOUNT}:key/${keyId}`;
  }

  injectFault(fault: InjectedFault): void {
    this.faults.push({ ...fault });
  }

  get requestCount(): number {
    return this.requests;
  }

  private metadata(key: StoredKey) {
    return {
      AWSAccountId: ACCOUNT,
      KeyId: key.keyId,
      Arn: this.arn(key.keyId),
      CreationDate: key.createdAt,
      Enabled: key.enabled,
      Description: key.description,
      KeyUsage: 'SIGN_VERIFY',
      KeyState: !key.privateKey ? 'PendingImport' : key.enabled ? 'Enabled' : 'Disabled',
      Origin: key.origin ?? 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: 'ECC_SECG_P256K1',
      KeySpec: 'ECC_SECG_P256K1',
      SigningAlgorithms: ['ECDSA_SHA_256'],
      MultiRegion: false,
    };
  }

  private usable(key: StoredKey): void {
    if (!key.privateKey) throw new KmsFault('KMSInvalidStateException', `${this.arn(key.keyId)} is pending import.`);
    if (!key.enabled) throw new KmsFault('DisabledException', `${this.arn(key.keyId)} is disabled.`);
  }

  /** Runs one KMS operation; `input` is the request's JSON body. */
  handle(operation: string, input: Record<string, unknown>): unknown {
    this.requests += 1;
    const fault = this.faults.find((f) => f.count > 0 && (f.operation === undefined || f.operation === operation));
    if (fault) {
      fault.count -= 1;
      throw new KmsFault(fault.error, `injected ${fault.error} for ${operation}`, fault.error === 'KMSInternalException' ? 500 : 400);
    }
    switch (operation) {
      case 'CreateKey': {
        const spec = (input.KeySpec ?? input.CustomerMasterKeySpec) as string | undefined;
        if (spec !== 'ECC_SECG_P256K1') throw new KmsFault('UnsupportedOperationException', `this endpoint only creates ECC_SECG_P256K1 keys, not ${spec ?? 'SYMMETRIC_DEFAULT'}`);
        if (input.KeyUsage !== undefined && input.KeyUsage !== 'SIGN_VERIFY') throw new KmsFault('ValidationException', 'KeyUsage must be SIGN_VERIFY for ECC_SECG_P256K1');
        if (input.Origin !== undefined && input.Origin !== 'AWS_KMS' && input.Origin !== 'EXTERNAL') throw new KmsFault('UnsupportedOperationException', `Origin ${String(input.Origin)} is not supported here`);
        const key = this.store.create(typeof input.Description === 'string' ? input.Description : '', input.Origin === 'EXTERNAL' ? 'EXTERNAL' : undefined);
        return { KeyMetadata: this.metadata(key) };
      }
      case 'GetParametersForImport': {
        const key = this.store.resolve(input.KeyId as string);
        if (key.origin !== 'EXTERNAL' || key.privateKey) throw new KmsFault('UnsupportedOperationException', `${this.arn(key.keyId)} is not an EXTERNAL key waiting for key material`);
        const bits = WRAPPING_KEY_BITS[String(input.WrappingKeySpec)];
        if (input.WrappingAlgorithm !== WRAPPING_ALGORITHM || !bits) {
          throw new KmsFault('ValidationException', `this endpoint wraps with ${WRAPPING_ALGORITHM} and ${Object.keys(WRAPPING_KEY_BITS).join(' | ')} only`);
        }
        const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
        const token = randomBytes(32);
        this.imports.set(token.toString('hex'), { keyId: key.keyId, wrappingKey: privateKey });
        return { KeyId: this.arn(key.keyId), ImportToken: b64(token), PublicKey: b64(publicKey.export({ format: 'der', type: 'spki' })), ParametersValidTo: Math.floor(Date.now() / 1000) + 86_400 };
      }
      case 'ImportKeyMaterial': {
        const key = this.store.resolve(input.KeyId as string);
        const tokenHex = blob(input.ImportToken, 'ImportToken').toString('hex');
        const parameters = this.imports.get(tokenHex);
        if (!parameters || parameters.keyId !== key.keyId) throw new KmsFault('InvalidImportTokenException', 'the import token is not valid for this key');
        if (key.privateKey) throw new KmsFault('IncorrectKeyMaterialException', 'the key already has its key material');
        let privateKey: string;
        try {
          const material = privateDecrypt({ key: parameters.wrappingKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, blob(input.EncryptedKeyMaterial, 'EncryptedKeyMaterial'));
          const imported = createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
          if (imported.asymmetricKeyDetails?.namedCurve !== 'secp256k1') throw new Error(`a ${imported.asymmetricKeyDetails?.namedCurve ?? imported.asymmetricKeyType} key, not secp256k1`);
          privateKey = `0x${Buffer.from(imported.export({ format: 'jwk' }).d!, 'base64url').toString('hex').padStart(64, '0')}`;
        } catch (error) {
          throw new KmsFault('IncorrectKeyMaterialException', `the key material is not a wrapped PKCS#8 ECC_SECG_P256K1 private key (${(error as Error).message})`);
        }
        this.imports.delete(tokenHex);
        this.store.importMaterial(key, privateKey);
        return { KeyId: this.arn(key.keyId) };
      }
      case 'DescribeKey':
        return { KeyMetadata: this.metadata(this.store.resolve(input.KeyId as string)) };
      case 'GetPublicKey': {
        const key = this.store.resolve(input.KeyId as string);
        this.usable(key);
        const point = Buffer.from(SigningKey.computePublicKey(key.privateKey, false).slice(2), 'hex');
        return {
          KeyId: this.arn(key.keyId),
          PublicKey: b64(encodeSpki(point)),
          CustomerMasterKeySpec: 'ECC_SECG_P256K1',
          KeySpec: 'ECC_SECG_P256K1',
          KeyUsage: 'SIGN_VERIFY',
          SigningAlgorithms: ['ECDSA_SHA_256'],
        };
      }
      case 'Sign': {
        const key = this.store.resolve(input.KeyId as string);
        this.usable(key);
        if (input.SigningAlgorithm !== 'ECDSA_SHA_256') throw new KmsFault('InvalidKeyUsageException', `signing algorithm ${String(input.SigningAlgorithm)} is not valid for ECC_SECG_P256K1`);
        const message = blob(input.Message, 'Message');
        const type = (input.MessageType as string | undefined) ?? 'RAW';
        let digest: Buffer;
        if (type === 'DIGEST') {
          if (message.length !== 32) throw new KmsFault('ValidationException', 'Digest is invalid length for algorithm ECDSA_SHA_256.');
          digest = message;
        } else if (type === 'RAW') {
          if (message.length > 4096) throw new KmsFault('ValidationException', 'Message must be at most 4096 bytes');
          digest = createHash('sha256').update(message).digest();
        } else {
          throw new KmsFault('ValidationException', `MessageType ${type} is not valid`);
        }
        const signature = new SigningKey(key.privateKey).sign(digest);
        const lowS = BigInt(signature.s);
        const high = this.highS === 'always' || (this.highS === 'random' && randomInt(2) === 1);
        const der = encodeDerSignature(BigInt(signature.r), high ? SECP256K1_N - lowS : lowS);
        return { KeyId: this.arn(key.keyId), Signature: b64(der), SigningAlgorithm: 'ECDSA_SHA_256' };
      }
      case 'ListKeys':
        return { Keys: this.store.keys.map((k) => ({ KeyId: k.keyId, KeyArn: this.arn(k.keyId) })), Truncated: false };
      case 'EnableKey':
      case 'DisableKey':
        this.store.setEnabled(this.store.resolve(input.KeyId as string), operation === 'EnableKey');
        return {};
      case 'CreateAlias':
      case 'UpdateAlias': {
        const key = this.store.resolve(input.TargetKeyId as string);
        this.store.setAlias(String(input.AliasName), key.keyId, operation === 'CreateAlias');
        return {};
      }
      case 'DeleteAlias':
        this.store.deleteAlias(String(input.AliasName));
        return {};
      case 'ListAliases': {
        const filter = input.KeyId === undefined ? undefined : this.store.resolve(input.KeyId as string).keyId;
        const aliases = Object.entries(this.store.aliases)
          .filter(([, target]) => filter === undefined || target === filter)
          .map(([name, target]) => ({ AliasName: name, AliasArn: `arn:aws:kms:${this.region}:${ACCOUNT}:${name}`, TargetKeyId: target }));
        return { Aliases: aliases, Truncated: false };
      }
      default:
        throw new KmsFault('UnsupportedOperationException', `operation ${operation} is not supported by the local KMS endpoint`);
    }
  }
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new KmsFault('ValidationException', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export interface RunningKms {
  url: string;
  kms: LocalKms;
  server: Server;
  close(): Promise<void>;
}

/** Starts the endpoint on 127.0.0.1. `POST /_local/faults` (not part of KMS) injects failures for tests. */
export async function startKmsServer(options: KmsServerOptions): Promise<RunningKms> {
  let file: string | undefined;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    file = join(options.dataDir, 'keys.json');
  }
  const kms = new LocalKms(new KeyStore(file), options.region, options.highS);
  const server = createServer((request, response) => {
    void (async () => {
      try {
        const body = await readBody(request, 1024 * 1024);
        if (request.method === 'POST' && request.url === '/_local/faults') {
          const fault = JSON.parse(body) as InjectedFault;
          kms.injectFault(fault);
          return send(response, 200, { ok: true });
        }
        const target = request.headers['x-amz-target'];
        if (request.method !== 'POST' || typeof target !== 'string' || !target.startsWith('TrentService.')) {
          throw new KmsFault('UnknownOperationException', 'expected a POST with X-Amz-Target: TrentService.<Operation>');
        }
        let input: Record<string, unknown>;
        try {
          input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
        } catch {
          throw new KmsFault('SerializationException', 'request body is not JSON');
        }
        send(response, 200, kms.handle(target.slice('TrentService.'.length), input));
      } catch (error) {
        if (error instanceof KmsFault) return send(response, error.status, { __type: error.type, message: error.message });
        send(response, 500, { __type: 'KMSInternalException', message: (error as Error).message });
      }
    })();
  });
  await listen(server, options.port, 'local KMS endpoint');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}`,
    kms,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
