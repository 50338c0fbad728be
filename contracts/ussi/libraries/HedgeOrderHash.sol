// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IUSSI} from "../../interfaces/IUSSI.sol";

/**
 * @title HedgeOrderHash
 * @notice The EIP-712 type of a USSI hedge order and its struct hash; the TypeScript twin is
 * `HEDGE_ORDER_TYPES` in `lambdas/domain/ussi-orders.ts` (checked against each other by the shared
 * vector test/vectors/ussi-hedge-order.json).
 */
library HedgeOrderHash {
    bytes32 internal constant TYPEHASH = keccak256(
        "HedgeOrder(address requester,uint8 side,address asset,uint256 assetAmount,uint256 assetPrice,"
        "uint256 ussiAmount,uint256 deadline,uint256 nonce)"
    );

    /// @dev EIP-712 `hashStruct`: every field is static, so it is the keccak of the type hash and the ABI-encoded fields.
    function hash(IUSSI.HedgeOrder calldata order) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                TYPEHASH,
                order.requester,
                order.side,
                order.asset,
                order.assetAmount,
                order.assetPrice,
                order.ussiAmount,
                order.deadline,
                order.nonce
            )
        );
    }
}
