import { verifyMessage } from 'ethers';

/**
 * The message a user signs (EIP-191 personal_sign) to register who referred it. It names both
 * addresses and the chain, so a signature cannot register another link or be replayed on another
 * deployment; a user has at most one referrer, so replaying it on the same one changes nothing.
 */
export function referralMessage(link: { referrer: string; referred: string; chainId: number }): string {
  return [
    'SSI referral',
    `I, ${link.referred.toLowerCase()}, was referred by ${link.referrer.toLowerCase()}.`,
    `Chain: ${link.chainId}`,
  ].join('\n');
}

/** Whether `signature` is the referred user's signature of the referral message. */
export function isReferralSigned(link: { referrer: string; referred: string; chainId: number }, signature: string): boolean {
  try {
    return verifyMessage(referralMessage(link), signature).toLowerCase() === link.referred.toLowerCase();
  } catch {
    return false;
  }
}
