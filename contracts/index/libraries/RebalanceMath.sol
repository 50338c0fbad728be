// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRebalanceErrors} from "../../interfaces/IRebalanceErrors.sol";
import {IRebalancer} from "../../interfaces/IRebalancer.sol";

/**
 * @title RebalanceMath
 * @notice The checks and the tokenset formula of a rebalance order, shared by the Rebalancer (atomic
 * on-chain legs) and the AttestedRebalancer (custodian legs proven by attestations), so both turn the
 * same order into the same tokenset. Reverts with IRebalanceErrors.
 */
library RebalanceMath {
    /// @dev Index units per whole index token.
    uint256 private constant INDEX_UNIT = 1e18;

    /**
     * @dev The tokenset after the trade. Walks the old tokenset and the buy legs (both ascending)
     * together; for each asset `held = basket + bought - sold` and the new unit amount is
     * `floor(held * 1e18 / supply)`, dropped when zero. Sells must be in the old tokenset and at
     * most its basket amount, so the fee basket is never sold here.
     */
    function newTokenset(
        address[] memory oldAssets,
        uint256[] memory basketAmounts,
        uint256 supply,
        IRebalancer.RebalanceOrder calldata order
    ) internal pure returns (address[] memory assets, uint256[] memory unitAmounts) {
        assets = new address[](oldAssets.length + order.buyAssets.length);
        unitAmounts = new uint256[](assets.length);
        uint256 o = 0;
        uint256 b = 0;
        uint256 s = 0;
        uint256 n = 0;
        while (o < oldAssets.length || b < order.buyAssets.length) {
            address asset;
            uint256 held = 0;
            bool inBasket =
                b == order.buyAssets.length || (o < oldAssets.length && oldAssets[o] <= order.buyAssets[b]);
            if (inBasket) {
                asset = oldAssets[o];
                held = basketAmounts[o];
                ++o;
            } else {
                asset = order.buyAssets[b];
            }
            if (b < order.buyAssets.length && order.buyAssets[b] == asset) {
                held += order.buyAmounts[b];
                ++b;
            }
            if (s < order.sellAssets.length && order.sellAssets[s] == asset) {
                if (!inBasket) revert IRebalanceErrors.SellNotInBasket(asset);
                // The basket amount of this asset was just read at o - 1; sells never exceed it.
                if (order.sellAmounts[s] > basketAmounts[o - 1]) {
                    revert IRebalanceErrors.SellExceedsBasket(asset, basketAmounts[o - 1], order.sellAmounts[s]);
                }
                // unchecked: held >= basket amount >= the sell, checked just above.
                unchecked {
                    held -= order.sellAmounts[s];
                }
                ++s;
            }
            if ((held * INDEX_UNIT) / supply != 0) {
                assets[n] = asset;
                unitAmounts[n] = (held * INDEX_UNIT) / supply;
                ++n;
            }
        }
        // A sell left over sorts between or after the basket's assets without matching one.
        if (s < order.sellAssets.length) revert IRebalanceErrors.SellNotInBasket(order.sellAssets[s]);
        assembly {
            mstore(assets, n)
            mstore(unitAmounts, n)
        }
    }

    /// @dev Same lengths, assets strictly ascending (so unique and never zero), amounts non-zero.
    function checkLegs(address[] calldata assets, uint256[] calldata amounts) internal pure {
        uint256 length = assets.length;
        if (amounts.length != length) revert IRebalanceErrors.LengthMismatch(length, amounts.length);
        address previous = address(0);
        for (uint256 i = 0; i < length; ++i) {
            if (assets[i] <= previous) revert IRebalanceErrors.AssetsNotSorted(i, assets[i]);
            if (amounts[i] == 0) revert IRebalanceErrors.ZeroLegAmount(i);
            previous = assets[i];
        }
    }
}
