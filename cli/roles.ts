import { Contract, getAddress, id, Interface, isAddress, type JsonRpcProvider, type Provider } from 'ethers';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeploymentRecord } from '../topology/deployment';
import { Relayer, RelayerStore } from '../lambdas/relayer';
import { KmsSigner } from '../lambdas/signing/kms-signer';

/*
 * The on-chain roles an operator hands out when a WLP or a PMM is onboarded, and the one code path
 * that grants and revokes them: `ssi admin roles` signs with the stage's admin KMS key (KEYS role
 * `admin`) through the relayer, and the local stack sets its own WLP and PMM up with the very same
 * calls (adminRelayer, changeRole, relayerSender).
 *
 * Roles the contracts have that are NOT here, and why:
 * - OPERATOR_ROLE, PRICE_ATTESTER_ROLE (Rebalancer), ROOT_REVOKER_ROLE (RewardsDistributor): the deploy
 *   gives them to the stage's own KMS signers; changing them is a key rotation, not onboarding.
 * - REGISTRAR_ROLE, REBALANCER_ROLE (Issuer, IndexToken), ISSUER_ROLE (IndexToken), RELEASER_ROLE
 *   (CustodyVault): contract-to-contract wiring made at deploy.
 * - PAUSER_ROLE, UPGRADER_ROLE, DEFAULT_ADMIN_ROLE: the protocol admin's (two-step handover).
 */

/** A role an operator grants, by its short name, and where it lives. */
export const ONBOARDING_ROLES = {
  /** A WLP: may mint and redeem on the Issuer and on USSI. */
  participant: [
    { contract: 'issuer', role: 'PARTICIPANT_ROLE' },
    { contract: 'ussi', role: 'PARTICIPANT_ROLE' },
  ],
  /** A PMM: signs quotes the Issuer fills and rebalance orders (and fee sales) the Rebalancer fills. */
  maker: [
    { contract: 'issuer', role: 'MAKER_ROLE' },
    { contract: 'rebalancer', role: 'MAKER_ROLE' },
  ],
} as const satisfies Record<string, ReadonlyArray<{ contract: string; role: string }>>;
export type OnboardingRole = keyof typeof ONBOARDING_ROLES;

/** The AccessControl (OpenZeppelin 5) calls and events the roles code uses. */
const ACCESS_CONTROL = new Interface([
  'function hasRole(bytes32 role, address account) view returns (bool)',
  'function getRoleAdmin(bytes32 role) view returns (bytes32)',
  'function grantRole(bytes32 role, address account)',
  'function revokeRole(bytes32 role, address account)',
  'function defaultAdmin() view returns (address)',
  'function pendingDefaultAdmin() view returns (address newAdmin, uint48 schedule)',
  'function acceptDefaultAdminTransfer()',
  'event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)',
  'event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)',
]);

const DEFAULT_ADMIN_ROLE = `0x${'00'.repeat(32)}`;
const ROLE_NAMES = new Map<string, string>([[DEFAULT_ADMIN_ROLE, 'DEFAULT_ADMIN_ROLE'], ...['PARTICIPANT_ROLE', 'MAKER_ROLE', 'OPERATOR_ROLE'].map((n) => [id(n), n] as [string, string])]);
const roleName = (roleId: string): string => ROLE_NAMES.get(roleId) ?? roleId;

/** A refusal the operator can act on (unknown role, bad address, a relayer key without the admin role). */
export class RoleError extends Error {
  override readonly name = 'RoleError';
}

/** One role on one contract of the deployment. */
export interface RoleSite {
  readonly contract: string;
  readonly address: string;
  readonly role: string;
  readonly roleId: string;
}

/** Where `role` lives in this deployment; contracts the deployment lacks (e.g. no USSI) are left out. */
export function roleSites(deployment: Pick<DeploymentRecord, 'contracts'>, role: string): RoleSite[] {
  if (!(role in ONBOARDING_ROLES)) throw new RoleError(`unknown role ${JSON.stringify(role)}: one of ${Object.keys(ONBOARDING_ROLES).join(', ')}`);
  const sites = ONBOARDING_ROLES[role as OnboardingRole]
    .filter((s) => deployment.contracts[s.contract])
    .map((s) => ({ contract: s.contract, address: getAddress(deployment.contracts[s.contract]!), role: s.role, roleId: id(s.role) }));
  if (!sites.length) throw new RoleError(`the deployment has none of the contracts that hold ${role} (${ONBOARDING_ROLES[role as OnboardingRole].map((s) => s.contract).join(', ')})`);
  return sites;
}

export function accountAddress(value: string): string {
  if (!isAddress(value)) throw new RoleError(`not an address: ${value}`);
  return getAddress(value);
}

/** What changed (or was already so) on one contract. */
export interface RoleChange extends RoleSite {
  readonly account: string;
  /** `unchanged` when the account already had (grant) or lacked (revoke) the role. */
  readonly outcome: 'granted' | 'revoked' | 'unchanged';
  readonly txHash?: string;
}

/** Sends one transaction and resolves once it is mined (or throws with the reason). */
export type RoleTransactionSender = (tx: { key: string; to: string; data: string }) => Promise<{ txHash?: string }>;

/**
 * Grants or revokes `role` for `account` on every contract that holds it. Checks first that `sender`
 * (the relayer's key) holds each role's admin role, so a missing admin is named instead of a revert,
 * and skips contracts already in the wanted state (running it twice changes nothing).
 */
export async function changeRole(
  provider: Provider,
  deployment: Pick<DeploymentRecord, 'contracts' | 'chainId'>,
  change: { role: string; account: string; grant: boolean; sender: string },
  send: RoleTransactionSender,
): Promise<RoleChange[]> {
  const sites = roleSites(deployment, change.role);
  const account = accountAddress(change.account);
  const plan = await Promise.all(
    sites.map(async (site) => {
      const contract = new Contract(site.address, ACCESS_CONTROL, provider);
      const [has, adminRole] = await Promise.all([contract.hasRole(site.roleId, account) as Promise<boolean>, contract.getRoleAdmin(site.roleId) as Promise<string>]);
      return { site, has, adminRole, contract };
    }),
  );
  for (const { site, has, adminRole, contract } of plan) {
    if (has === change.grant) continue;
    if (!((await contract.hasRole(adminRole, change.sender)) as boolean)) {
      const admin = adminRole === DEFAULT_ADMIN_ROLE ? ` (held by ${(await contract.defaultAdmin().catch(() => 'unknown')) as string})` : '';
      throw new RoleError(`the relayer key ${change.sender} lacks ${roleName(adminRole)}${admin}, the admin role of ${site.role} on ${site.contract} ${site.address}: it cannot ${change.grant ? 'grant' : 'revoke'} it`);
    }
  }
  const changes: RoleChange[] = [];
  for (const { site, has } of plan) {
    if (has === change.grant) {
      changes.push({ ...site, account, outcome: 'unchanged' });
      continue;
    }
    const verb = change.grant ? 'grant' : 'revoke';
    const data = ACCESS_CONTROL.encodeFunctionData(change.grant ? 'grantRole' : 'revokeRole', [site.roleId, account]);
    // The key names the change and the block it was planned at: a grant after a revoke is a new action, and
    // a command run again sees the role already changed (outcome unchanged) instead of sending twice.
    const block = await provider.getBlockNumber();
    const { txHash } = await send({ key: `roles:${deployment.chainId}:${site.address}:${site.role}:${account}:${verb}:${block}`, to: site.address, data });
    changes.push({ ...site, account, outcome: change.grant ? 'granted' : 'revoked', txHash });
  }
  return changes;
}

/** The contracts whose default admin grants the onboarding roles: every contract in ONBOARDING_ROLES the deployment has. */
function onboardingContracts(deployment: Pick<DeploymentRecord, 'contracts'>): Array<{ contract: string; address: string }> {
  const names = [...new Set(Object.values(ONBOARDING_ROLES).flatMap((sites) => sites.map((s) => s.contract)))];
  return names.filter((name) => deployment.contracts[name]).map((name) => ({ contract: name, address: getAddress(deployment.contracts[name]!) }));
}

/** What became of the default admin handover on one contract. */
export interface AdminAcceptance {
  readonly contract: string;
  readonly address: string;
  readonly outcome: 'accepted' | 'unchanged';
  readonly txHash?: string;
}

/**
 * Completes the default admin handover (AccessControlDefaultAdminRules, two steps) to `sender` on
 * every contract that holds an onboarding role: the current admin (the multisig) began it with
 * `beginDefaultAdminTransfer(sender)` and its delay has passed. Checks every contract first and
 * sends nothing when one is not ready, naming it; a contract `sender` already administers is left alone.
 */
export async function acceptAdmin(provider: Provider, deployment: Pick<DeploymentRecord, 'contracts' | 'chainId'>, sender: string, send: RoleTransactionSender): Promise<AdminAcceptance[]> {
  const contracts = onboardingContracts(deployment);
  if (!contracts.length) throw new RoleError('the deployment has none of the contracts that hold the onboarding roles (issuer, ussi, rebalancer)');
  const now = (await provider.getBlock('latest'))!.timestamp;
  const plan = await Promise.all(
    contracts.map(async (site) => {
      const contract = new Contract(site.address, ACCESS_CONTROL, provider);
      const [admin, [pending, schedule]] = await Promise.all([contract.defaultAdmin() as Promise<string>, contract.pendingDefaultAdmin() as Promise<[string, bigint]>]);
      return { site, done: getAddress(admin) === getAddress(sender), pending: getAddress(pending), schedule: Number(schedule) };
    }),
  );
  for (const { site, done, pending, schedule } of plan) {
    if (done) continue;
    if (pending !== getAddress(sender)) throw new RoleError(`${site.contract} ${site.address}: no default admin handover to ${sender} is pending (pending: ${pending}); its admin must call beginDefaultAdminTransfer(${sender}) first`);
    if (schedule > now) throw new RoleError(`${site.contract} ${site.address}: the handover to ${sender} can be accepted from ${new Date(schedule * 1000).toISOString()} (the chain's time is ${new Date(now * 1000).toISOString()})`);
  }
  const results: AdminAcceptance[] = [];
  const block = await provider.getBlockNumber();
  for (const { site, done } of plan) {
    if (done) {
      results.push({ ...site, outcome: 'unchanged' });
      continue;
    }
    const { txHash } = await send({ key: `roles:${deployment.chainId}:${site.address}:accept-admin:${sender}:${block}`, to: site.address, data: ACCESS_CONTROL.encodeFunctionData('acceptDefaultAdminTransfer') });
    results.push({ ...site, outcome: 'accepted', txHash });
  }
  return results;
}

/** One holder of a role on one contract. */
export interface RoleHolder extends RoleSite {
  readonly account: string;
}

/**
 * The current holders of `role` (or of every onboarding role): AccessControl keeps no list, so
 * RoleGranted events from `fromBlock` name the candidates and hasRole says who still holds it.
 */
export async function roleHolders(provider: Provider, deployment: Pick<DeploymentRecord, 'contracts'>, options: { role?: string; fromBlock?: number } = {}): Promise<RoleHolder[]> {
  const roles = options.role ? [options.role] : Object.keys(ONBOARDING_ROLES);
  const sites = roles.flatMap((role) => {
    try {
      return roleSites(deployment, role);
    } catch (error) {
      if (options.role) throw error;
      return [];
    }
  });
  const granted = ACCESS_CONTROL.getEvent('RoleGranted')!;
  const holders: RoleHolder[] = [];
  for (const site of sites) {
    const logs = await provider.getLogs({ address: site.address, fromBlock: options.fromBlock ?? 0, toBlock: 'latest', topics: [granted.topicHash, site.roleId] });
    const candidates = [...new Set(logs.map((log) => getAddress(`0x${log.topics[2]!.slice(26)}`)))];
    const contract = new Contract(site.address, ACCESS_CONTROL, provider);
    for (const account of candidates) if ((await contract.hasRole(site.roleId, account)) as boolean) holders.push({ ...site, account });
  }
  return holders;
}

/** The relayer of the stage's admin KMS key, over the stage's relayer tables: what onboarding roles are sent through. */
export function adminRelayer(deps: {
  kms: KMSClient;
  adminKey: string;
  provider: JsonRpcProvider;
  chainId: number;
  doc: DynamoDBDocumentClient;
  tables: { actions: string; nonces: string };
}): { signer: KmsSigner; relayer: Relayer } {
  const signer = new KmsSigner(deps.kms, deps.adminKey);
  const relayer = new Relayer({ signer, provider: deps.provider, chainId: deps.chainId, store: new RelayerStore(deps.doc, deps.tables), logger: quietLog });
  return { signer, relayer };
}

/** The relayer's own logs stay out of the operator's output; failures reach the operator as errors. */
const quietLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Sends through the KMS relayer and waits for the outcome; a failed action becomes a RoleError with its reason. */
export function relayerSender(relayer: Relayer, timeoutMs = 180_000): RoleTransactionSender {
  return async (tx) => {
    const submitted = await relayer.submit(tx);
    const record = await relayer.wait(submitted.actionKey, { timeoutMs });
    if (record.status !== 'mined') throw new RoleError(`${tx.key}: the relayer's transaction ${record.status}: ${record.failure?.reason ?? 'no reason given'}`);
    return { txHash: record.txHash };
  };
}
