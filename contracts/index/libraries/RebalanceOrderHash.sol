// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRebalancer} from "../../interfaces/IRebalancer.sol";

/**
 * @title RebalanceOrderHash
 * @notice The EIP-712 types of the rebalancer's signed messages and their struct hashes; the
 * TypeScript twins are in `lambdas/domain/rebalance-orders.ts` (checked against each other by
 * the shared vector test/vectors/rebalance-orders.json).
 * @dev Arrays are hashed as the keccak of their 32-byte-padded elements (EIP-712 `encodeData`).
 */
library RebalanceOrderHash {
    bytes32 internal constant REBALANCE_ORDER_TYPEHASH = keccak256(
        "RebalanceOrder(address index,address[] sellAssets,uint256[] sellAmounts,address[] buyAssets,"
        "uint256[] buyAmounts,address maker,uint256 deadline,uint256 nonce)"
    );

    bytes32 internal constant PRICE_ATTESTATION_TYPEHASH = keccak256(
        "PriceAttestation(address index,address[] assets,uint256[] prices,uint256 validUntil,uint256 nonce)"
    );

    bytes32 internal constant FEE_SALE_ORDER_TYPEHASH = keccak256(
        "FeeSaleOrder(address index,address[] assets,uint256[] amounts,address cashToken,uint256 cashAmount,"
        "address maker,uint256 deadline,uint256 nonce)"
    );

    function hash(IRebalancer.RebalanceOrder calldata order) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                REBALANCE_ORDER_TYPEHASH,
                order.index,
                keccak256(abi.encodePacked(order.sellAssets)),
                keccak256(abi.encodePacked(order.sellAmounts)),
                keccak256(abi.encodePacked(order.buyAssets)),
                keccak256(abi.encodePacked(order.buyAmounts)),
                order.maker,
                order.deadline,
                order.nonce
            )
        );
    }

    function hash(IRebalancer.PriceAttestation calldata prices) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                PRICE_ATTESTATION_TYPEHASH,
                prices.index,
                keccak256(abi.encodePacked(prices.assets)),
                keccak256(abi.encodePacked(prices.prices)),
                prices.validUntil,
                prices.nonce
            )
        );
    }

    function hash(IRebalancer.FeeSaleOrder calldata order) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                FEE_SALE_ORDER_TYPEHASH,
                order.index,
                keccak256(abi.encodePacked(order.assets)),
                keccak256(abi.encodePacked(order.amounts)),
                order.cashToken,
                order.cashAmount,
                order.maker,
                order.deadline,
                order.nonce
            )
        );
    }
}
