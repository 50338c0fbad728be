// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/**
 * @title BasketMath
 * @notice The one formula that turns index units into asset amounts, shared by the token's
 * aggregate basket and the issuer's order legs (and ported to `lambdas/domain/orders.ts`).
 * @dev `amount = indexAmount * unitAmount / 1e18`, rounded up where the protocol receives or owes
 * (mint legs, the aggregate liability) and down where it pays out (redeem legs). The product is
 * checked: an overflow reverts rather than wraps.
 */
library BasketMath {
    /// @dev Index units per whole index token: tokenset amounts are quoted per this many units.
    uint256 internal constant UNIT = 1e18;

    function amountFor(uint256 indexAmount, uint256 unitAmount, bool roundUp) internal pure returns (uint256) {
        uint256 product = indexAmount * unitAmount;
        return roundUp ? Math.ceilDiv(product, UNIT) : product / UNIT;
    }
}
