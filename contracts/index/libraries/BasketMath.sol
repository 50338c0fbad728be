// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/**
 * @title BasketMath
 * @notice The one formula that turns index units into asset amounts, shared by the token's
 * aggregate basket and the issuer's order legs (and ported to `lambdas/domain/orders.ts`).
 * @dev `amount = indexAmount * baseUnitAmount * factor / (1e18 * 1e27)`: the base tokenset scaled
 * by the management-fee factor (1e27 when no fee has been taken), rounded up where the protocol
 * receives or owes (mint legs, the aggregate liability) and down where it pays out (redeem legs).
 * The factor is applied to the whole product, not to a rounded per-unit amount, so the fee and the
 * baskets are computed from the same exact quantity. Overflows revert rather than wrap.
 */
library BasketMath {
    /// @dev Index units per whole index token: tokenset amounts are quoted per this many units.
    uint256 internal constant UNIT = 1e18;
    /// @dev Denominator of `indexAmount * baseUnitAmount * factor`.
    uint256 private constant DENOMINATOR = 1e45;

    function amountFor(uint256 indexAmount, uint256 baseUnitAmount, uint256 factor, bool roundUp)
        internal
        pure
        returns (uint256)
    {
        return Math.mulDiv(indexAmount * baseUnitAmount, factor, DENOMINATOR, roundUp ? Math.Rounding.Ceil : Math.Rounding.Floor);
    }
}
