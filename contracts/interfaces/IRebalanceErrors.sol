// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title IRebalanceErrors
 * @notice Errors of checking a rebalance order and its price attestation, raised by both the Rebalancer
 * (on-chain legs) and the AttestedRebalancer (custodian legs), which check orders the same way (RebalanceMath).
 */
interface IRebalanceErrors {
    /// @notice The price attestation is no longer valid.
    error PricesExpired(uint256 validUntil, uint256 timestamp);
    /// @notice The prices were attested for another index.
    error PricesForOtherIndex(address expected, address actual);
    /// @notice An order must move at least one asset.
    error EmptyOrder();
    /// @notice A list of `assets` assets comes with `amounts` amounts (or prices).
    error LengthMismatch(uint256 assets, uint256 amounts);
    /// @notice Assets must be strictly ascending (so sorted and unique, never zero); `asset` at `position` is not.
    error AssetsNotSorted(uint256 position, address asset);
    /// @notice Leg `leg` has a zero amount.
    error ZeroLegAmount(uint256 leg);
    /// @notice `asset` is sold but is not in the index's tokenset.
    error SellNotInBasket(address asset);
    /// @notice Selling `amount` of `asset` would dig below the index's basket of it (`basket`).
    error SellExceedsBasket(address asset, uint256 basket, uint256 amount);
    /// @notice The attestation has no price for `asset`.
    error PriceMissing(address asset);
    /// @notice The bought value is not within `toleranceBps` of the sold value.
    error ValueOutOfTolerance(uint256 soldValue, uint256 boughtValue, uint256 toleranceBps);
    /// @notice `index` has no supply: there is nothing to trade, use `resetTokenset`.
    error IndexHasNoSupply(address index);
    /// @notice The price signature does not recover to an address.
    error InvalidPriceSignature();
    /// @notice The prices were signed by `signer`, who does not hold PRICE_ATTESTER_ROLE.
    error PriceSignerNotAttester(address signer);
    /// @notice A buy leg is an asset the admin has not allowed.
    error BuyAssetNotAllowed(address asset);
}
