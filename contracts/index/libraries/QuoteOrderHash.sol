// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IIssuer} from "../../interfaces/IIssuer.sol";

/**
 * @title QuoteOrderHash
 * @notice The EIP-712 type of a quote order and its struct hash; the TypeScript twin is
 * `QUOTE_ORDER_TYPES` in `lambdas/domain/orders.ts` (checked against each other by a shared test vector).
 */
library QuoteOrderHash {
    bytes32 internal constant TYPEHASH = keccak256(
        "QuoteOrder(address index,uint8 side,uint256 indexAmount,address[] assets,uint256[] amounts,"
        "address cashToken,uint256 cashAmount,address maker,address requester,uint256 deadline,uint256 nonce)"
    );

    /// @dev EIP-712 `hashStruct`: arrays are hashed as the keccak of their 32-byte-padded elements.
    function hash(IIssuer.QuoteOrder calldata order) internal pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                abi.encode(
                    TYPEHASH,
                    order.index,
                    order.side,
                    order.indexAmount,
                    keccak256(abi.encodePacked(order.assets)),
                    keccak256(abi.encodePacked(order.amounts))
                ),
                abi.encode(order.cashToken, order.cashAmount, order.maker, order.requester, order.deadline, order.nonce)
            )
        );
    }
}
