// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/**
 * @title ReentrantToken
 * @notice Test-only ERC-20 that, once armed, calls back into `target` with `payload` the next time
 * `target` sends tokens, bubbling up any revert: proves the reentrancy guards of the contracts that
 * pay out tokens.
 */
contract ReentrantToken is ERC20 {
    address private _target;
    bytes private _payload;

    constructor() ERC20("Reentrant", "RE") {}

    /// @notice Mints `amount` to `to`; a faucet.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Calls `target` with `payload` during the next transfer out of `target`.
    function arm(address target, bytes calldata payload) external {
        _target = target;
        _payload = payload;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address target = _target;
        if (target != address(0) && from == target) {
            _target = address(0);
            Address.functionCall(target, _payload);
        }
    }
}
