import { verifyMessage } from 'ethers';

/** The longest a signed referral stays valid: a leaked signature is useless after a day. */
export const REFERRAL_MAX_VALIDITY_SECONDS = 86_400;

/** What a referred user signs to register who referred it. */
export interface ReferralRequest {
  readonly referrer: string;
  readonly referred: string;
  /** The deployment the registration is for (its Issuer address, or its network name). */
  readonly domain: string;
  readonly chainId: number;
  /** Chosen by the signer, hex: makes every signed registration distinct. */
  readonly nonce: string;
  /** Unix seconds after which the signature registers nothing. */
  readonly expires: number;
}

/**
 * The message a user signs (EIP-191 personal_sign) to register who referred it. It names both
 * addresses, the deployment and its chain, a nonce and an expiry, so a signature cannot register
 * another link, be used on another deployment or chain, or be replayed once it has expired; a
 * user has at most one referrer, so replaying it before then changes nothing.
 */
export function referralMessage(request: ReferralRequest): string {
  return [
    'SSI referral',
    `I, ${request.referred.toLowerCase()}, was referred by ${request.referrer.toLowerCase()}.`,
    `Domain: ${request.domain.toLowerCase()}`,
    `Chain: ${request.chainId}`,
    `Nonce: ${request.nonce.toLowerCase()}`,
    `Expires: ${request.expires}`,
  ].join('\n');
}

/** Whether `signature` is the referred user's signature of the referral message. */
export function isReferralSigned(request: ReferralRequest, signature: string): boolean {
  try {
    return verifyMessage(referralMessage(request), signature).toLowerCase() === request.referred.toLowerCase();
  } catch {
    return false;
  }
}
