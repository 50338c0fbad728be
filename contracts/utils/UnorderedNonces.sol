// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IUnorderedNonces} from "../interfaces/IUnorderedNonces.sol";

/**
 * @title UnorderedNonces
 * @notice The one nonce scheme of the protocol's signed orders. See {IUnorderedNonces}.
 * @dev Holds no storage: each contract points `_unorderedNonceBitmap` at the mapping it already keeps in its
 * ERC-7201 namespace, so adopting this scheme changes no storage layout. USSI implements {IUnorderedNonces}
 * inline over the same layout instead: this contract's extra code would take it past the 24,576-byte limit.
 */
abstract contract UnorderedNonces is IUnorderedNonces {
    /// @inheritdoc IUnorderedNonces
    function invalidateUnorderedNonces(uint256 wordPos, uint256 mask) external {
        address owner = _unorderedNonceInvalidator();
        _unorderedNonceBitmap(owner)[wordPos] |= mask;
        emit UnorderedNonceInvalidation(owner, wordPos, mask);
    }

    /// @inheritdoc IUnorderedNonces
    function isNonceUsed(address owner, uint256 nonce) external view returns (bool) {
        return _isNonceUsed(owner, nonce);
    }

    /// @dev Checks that `owner` has not used `nonce` and marks it used, in one read and one write.
    function _useUnorderedNonce(address owner, uint256 nonce) internal {
        uint256 bit = 1 << (nonce & 0xff);
        uint256 flipped = _unorderedNonceBitmap(owner)[nonce >> 8] ^= bit;
        if (flipped & bit == 0) _revertNonceUsed(owner, nonce);
    }

    /// @dev Reverts if `owner` has used `nonce`, for views that predict a settlement without settling.
    function _requireUnusedNonce(address owner, uint256 nonce) internal view {
        if (_isNonceUsed(owner, nonce)) _revertNonceUsed(owner, nonce);
    }

    /// @dev One place encodes the error, which keeps the contracts at the size limit (USSI) within it.
    function _revertNonceUsed(address owner, uint256 nonce) private pure {
        revert NonceAlreadyUsed(owner, nonce);
    }

    function _isNonceUsed(address owner, uint256 nonce) private view returns (bool) {
        return _unorderedNonceBitmap(owner)[nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    /// @dev The owner whose nonces a call to `invalidateUnorderedNonces` cancels: the caller, by default.
    function _unorderedNonceInvalidator() internal view virtual returns (address) {
        return msg.sender;
    }

    /// @dev `owner`'s words of nonces, in the contract's own storage.
    function _unorderedNonceBitmap(address owner) internal view virtual returns (mapping(uint256 => uint256) storage);
}
