// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @title FeeOnTransferToken
 * @notice Test double of a fee-on-transfer asset: every transfer between accounts burns 1% of the
 * amount, so the receiver gets less than the sender signed for. Anyone may mint.
 */
contract FeeOnTransferToken is ERC20 {
    constructor() ERC20("Fee on transfer (test)", "FOT") {}

    /// @notice Mints `amount` to `to`; the local faucet.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev Burns 1% of every transfer between two accounts (mints and burns are exact).
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = value / 100;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
