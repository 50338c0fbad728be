// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IAssetLocking} from "../interfaces/IAssetLocking.sol";
import {IStakeToken} from "../interfaces/IStakeToken.sol";

/**
 * @title PositionsLens
 * @notice Reads the points snapshot's positions of many accounts in one `eth_call`, at a pinned
 * block, without ever being deployed: the call carries this contract's creation code and
 * arguments, and the constructor returns the readings instead of code.
 * @dev Per account, in order: for each index token its wallet balance, then (when it has an
 * sToken) the staked and cooling-down balances, zeros when it has none; then for each lockable
 * token the locked amount; then the staked $SOSO (zero without sSOSO). Returned as one
 * ABI-encoded `uint256[]`.
 */
contract PositionsLens {
    constructor(
        address[] memory accounts,
        address[] memory indexTokens,
        address[] memory sTokens,
        address locking,
        address[] memory lockable,
        address sSoso
    ) {
        uint256 width = indexTokens.length * 3 + lockable.length + 1;
        uint256[] memory readings = new uint256[](accounts.length * width);
        uint256 at;
        for (uint256 a = 0; a < accounts.length; a++) {
            address account = accounts[a];
            for (uint256 i = 0; i < indexTokens.length; i++) {
                readings[at++] = IERC20(indexTokens[i]).balanceOf(account);
                if (sTokens[i] != address(0)) {
                    readings[at++] = IERC20(sTokens[i]).balanceOf(account);
                    readings[at++] = IStakeToken(sTokens[i]).coolingBalanceOf(account);
                } else {
                    at += 2;
                }
            }
            for (uint256 j = 0; j < lockable.length; j++) {
                readings[at++] = IAssetLocking(locking).lockedOf(account, lockable[j]);
            }
            readings[at++] = sSoso == address(0) ? 0 : IERC20(sSoso).balanceOf(account);
        }
        bytes memory encoded = abi.encode(readings);
        assembly ("memory-safe") {
            return(add(encoded, 32), mload(encoded))
        }
    }
}
