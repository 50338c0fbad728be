// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title IUnorderedNonces
 * @notice One-time nonces in Permit2's unordered layout: an owner's nonces sit in 256-bit words, nonce `n`
 * at bit `n & 255` of word `n >> 8`. Signers pick nonces in any order; a whole word can be cancelled at once.
 * @dev The owner is the party whose signed messages the nonces protect: a quote's maker, a price signer,
 * or the contract itself where one nonce space outlives the rotation of its signing key (USSI).
 */
interface IUnorderedNonces {
    /// @notice `owner` marked the nonces in `mask` of word `word` used.
    event UnorderedNonceInvalidation(address indexed owner, uint256 word, uint256 mask);

    /// @notice `owner` already used or invalidated `nonce`.
    error NonceAlreadyUsed(address owner, uint256 nonce);

    /**
     * @notice Marks the nonces in `mask` of word `wordPos` (nonces `wordPos * 256 + bit`) used, cancelling
     * any signed message that carries one of them.
     * @dev The owner is the caller, unless the contract says otherwise (USSI: its operator, for the contract).
     */
    function invalidateUnorderedNonces(uint256 wordPos, uint256 mask) external;

    /// @notice Whether `owner` has used or invalidated `nonce`.
    function isNonceUsed(address owner, uint256 nonce) external view returns (bool);
}
