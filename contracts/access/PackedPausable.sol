// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProtocolUpgradeable} from "./ProtocolUpgradeable.sol";

/**
 * @title PackedPausable
 * @notice A ProtocolUpgradeable whose pause keeps OpenZeppelin's checks, errors and events, with the flag kept where
 * the contract chooses: in a slot its guarded calls read anyway. OpenZeppelin's own slot would cost
 * one more cold read (2,100 gas) per guarded call.
 * @dev A contract overrides `paused()` to read its flag and implements `_storePaused` to write it.
 */
abstract contract PackedPausable is ProtocolUpgradeable {
    /// @dev Writes the pause flag where the contract keeps it.
    function _storePaused(bool value) internal virtual;

    /// @dev OpenZeppelin's `_pause`, writing the contract's own flag.
    function _pause() internal override whenNotPaused {
        _storePaused(true);
        emit Paused(_msgSender());
    }

    /// @dev OpenZeppelin's `_unpause`, writing the contract's own flag.
    function _unpause() internal override whenPaused {
        _storePaused(false);
        emit Unpaused(_msgSender());
    }
}
