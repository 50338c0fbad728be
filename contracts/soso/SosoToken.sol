// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC1363} from "@openzeppelin/contracts/token/ERC20/extensions/ERC1363.sol";

/**
 * @title SosoToken
 * @notice $SOSO, the protocol's native token, as a local stand-in: an ERC-20 (with ERC-1363) of fixed
 * supply minted once to `holder` (the deployer or a faucet account). Nobody can mint afterwards.
 * Staking it goes through the StakeFactory's sToken for SOSO (sSOSO), in one transaction with the
 * ERC-1363 `transferAndCall(sSOSO, amount)` (no approval) or with approve + `stake`.
 */
contract SosoToken is ERC1363 {
    /// @notice The whole supply: one billion SOSO (18 decimals).
    uint256 public constant TOTAL_SUPPLY = 1_000_000_000 ether;

    constructor(address holder) ERC20("SoSoValue", "SOSO") {
        _mint(holder, TOTAL_SUPPLY);
    }
}
