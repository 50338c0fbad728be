// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @title SosoToken
 * @notice $SOSO, the protocol's native token, as a local stand-in: a plain ERC-20 with a fixed
 * supply minted once to `holder` (the deployer or a faucet account). Nobody can mint afterwards.
 * Staking it goes through the StakeFactory's sToken for SOSO (sSOSO).
 */
contract SosoToken is ERC20 {
    /// @notice The whole supply: one billion SOSO (18 decimals).
    uint256 public constant TOTAL_SUPPLY = 1_000_000_000 ether;

    constructor(address holder) ERC20("SoSoValue", "SOSO") {
        _mint(holder, TOTAL_SUPPLY);
    }
}
