// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title ICustodyLegs
 * @notice The event and errors of custodian-attested legs, raised by both the AttestedIssuer (mints and redeems) and
 * the AttestedRebalancer (rebalances), which take the same EIP-712 legs.
 */
interface ICustodyLegs {
    /// @notice A custodian attestation for `asset` (the basket placeholder) was accepted for `requestId`
    /// (an AttestedIssuer mint or redeem, or an AttestedRebalancer rebalance).
    event LegAttested(
        bytes32 indexed requestId,
        address indexed asset,
        bytes32 indexed txId,
        uint256 amount,
        bytes32 wallet,
        bytes32 counterparty,
        address signer
    );

    /// @notice One destination per custodian asset owed (a redeem's basket assets, a rebalance's custodian sells) is expected.
    error DestinationCountMismatch(uint256 destinations, uint256 assets);
    /// @notice The leg releases `amount` of `asset`, more than the `required` basket amount the PMM is owed.
    error ExcessRelease(address asset, uint256 amount, uint256 required);
    /// @notice `asset` already has an accepted leg for `requestId`.
    error LegAlreadyAttested(bytes32 requestId, address asset);
    /// @notice The leg and signature lists differ in length (or are empty, where legs are required).
    error LegCountMismatch(uint256 legs, uint256 signatures);
    /// @notice A leg was signed for `given`, not the request it was submitted to.
    error LegForOtherRequest(bytes32 requestId, bytes32 given);
    /// @notice `signer` is not a registered custodian signer.
    error NotCustodianSigner(address signer);
    /// @notice The leg delivers `amount` of `asset`, less than the `required` basket amount.
    error ShortDelivery(address asset, uint256 amount, uint256 required);
    /// @notice `wallet` is not a registered custodian wallet on `chain`.
    error WalletNotRegistered(bytes32 chain, bytes32 wallet);
    /// @notice The leg released `asset` to `given`, not the PMM's destination `expected`.
    error WrongCounterparty(address asset, bytes32 given, bytes32 expected);
    /**
     * @notice The leg moved units the wrong way: a mint or a rebalance buy takes `Received` legs, a redeem or a
     * rebalance sell `Released` legs.
     */
    error WrongDirection(uint8 direction);
    /// @notice Custodian asset `asset` was given no destination.
    error ZeroDestination(address asset);
}
