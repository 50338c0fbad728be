// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title UnorderedNonces
 * @notice One-time nonces in a 256-bit bitmap, in Permit2's layout: word `nonce >> 8`, bit
 * `nonce & 255`. Signers pick nonces in any order, and a whole word of them can be cancelled at once.
 */
library UnorderedNonces {
    function isUsed(mapping(uint256 => uint256) storage bitmap, uint256 nonce) internal view returns (bool) {
        return bitmap[nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    function use(mapping(uint256 => uint256) storage bitmap, uint256 nonce) internal {
        bitmap[nonce >> 8] |= 1 << (nonce & 0xff);
    }

    /// @dev Marks every nonce of word `wordPos` set in `mask` as used; returns the word after.
    function invalidate(mapping(uint256 => uint256) storage bitmap, uint256 wordPos, uint256 mask) internal returns (uint256) {
        return bitmap[wordPos] |= mask;
    }
}
