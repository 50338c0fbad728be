// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
import {IIssuer} from "./IIssuer.sol";

/**
 * @title IIndexFactory
 * @notice Creates index tokens as ERC-1967 proxies of one shared implementation, registers them
 * with the issuer, keeps the list of indexes and upgrades their implementation.
 * @dev Each token gets the factory's default admin as its admin, the issuer as its only minter,
 * the factory as an upgrader and as the operator that sets its fee rate, and the configured
 * rebalancer as its rebalancer.
 *
 * Assets are listed before an index may hold them: custody credits every leg at the amount an
 * order signs, so an asset that delivers less than it is told (a fee on transfer, or rebasing)
 * would leave a basket owing more than custody holds. Listing probes the asset with a round trip
 * of the operator's own tokens and refuses it if either leg arrives short; rebasing cannot be
 * probed, so listing is also the operator's statement that the asset does not rebase.
 */
interface IIndexFactory is IProtocolCommon {
    /**
     * @notice What an index is created with.
     * @param name ERC-20 name.
     * @param symbol ERC-20 symbol, unique among this factory's indexes (e.g. MAG7.ssi).
     * @param assets Initial tokenset assets, strictly ascending by address.
     * @param unitAmounts Amount of each asset per 1e18 index units.
     * @param maxFeeRatePpm The highest annual management fee the index may ever charge
     * (continuously compounded, parts per million; at most 100,000 = 10%). Fixed for life.
     * @param feeRatePpm The annual management fee from creation on (at most `maxFeeRatePpm`).
     * @param config Issuance settings (amount range, fees, fee vault, request timeout).
     */
    struct IndexParams {
        string name;
        string symbol;
        address[] assets;
        uint256[] unitAmounts;
        uint24 maxFeeRatePpm;
        uint24 feeRatePpm;
        IIssuer.IndexConfig config;
    }

    /// @notice A new index token; carries everything it was created with.
    event IndexCreated(address indexed index, address implementation, IndexParams params);
    /// @notice New indexes, and indexes upgraded from now on, use `current`.
    event ImplementationUpdated(address indexed previous, address indexed current);
    /// @notice `index` now runs `implementation`.
    event IndexUpgraded(address indexed index, address indexed implementation);
    /// @notice Indexes created from now on get `current` as their rebalancer.
    event RebalancerUpdated(address indexed previous, address indexed current);
    /// @notice `asset` may be held by indexes; its transfers of `probeAmount` arrived in full.
    event AssetListed(address indexed asset, uint256 probeAmount);
    /// @notice `asset` may no longer be put into a new index.
    event AssetDelisted(address indexed asset);

    /// @notice `symbol` already names `index`.
    error SymbolTaken(string symbol, address index);
    /// @notice `implementation` has no code.
    error NotAContract(address implementation);
    /// @notice `asset` is not listed (see `listAsset`).
    error AssetNotListed(address asset);
    /// @notice A transfer of `amount` of `asset` delivered only `received` (a fee-on-transfer token).
    error AssetTransferShortfall(address asset, uint256 amount, uint256 received);
    /// @notice A listing probe must move a non-zero amount.
    error ZeroProbe();

    /**
     * @notice Sets up the factory.
     * @param admin Default admin (two-step handover); also pauser and upgrader.
     * @param implementation The index token implementation new proxies point at.
     * @param issuer The issuer: minter of every index and where indexes get registered.
     */
    function initialize(address admin, address implementation, address issuer) external;

    /**
     * @notice Creates an index token and registers it with the issuer. Every asset must be listed
     * (`AssetNotListed`).
     * @dev Only OPERATOR_ROLE, not while paused. The factory needs REGISTRAR_ROLE on the issuer.
     * @return index The new token's proxy address.
     */
    function createIndex(IndexParams calldata params) external returns (address index);

    /**
     * @notice Lists `asset` for indexes after probing it: pulls `probeAmount` from the caller (who
     * approved it) and sends it back, reverting `AssetTransferShortfall` if either leg arrives short.
     * The probe must be large enough for a fee to show (e.g. one whole token). Only OPERATOR_ROLE.
     */
    function listAsset(address asset, uint256 probeAmount) external;

    /// @notice Removes `asset` from the list: new indexes may not hold it. Only OPERATOR_ROLE.
    function delistAsset(address asset) external;

    /// @notice Whether `asset` is listed (may be put into an index).
    function isAssetListed(address asset) external view returns (bool);

    /// @notice Sets the implementation for new indexes and later upgrades; only UPGRADER_ROLE.
    function setImplementation(address implementation) external;

    /**
     * @notice Upgrades `index` to the current implementation, calling it with `data` when not empty
     * (e.g. a reinitializer); only UPGRADER_ROLE.
     */
    function upgradeIndex(address index, bytes calldata data) external;

    /**
     * @notice Sets the rebalancer that indexes created from now on get REBALANCER_ROLE for (zero:
     * none); only the admin. Existing indexes keep theirs (their admin grants the role directly).
     */
    function setRebalancer(address rebalancer) external;

    /**
     * @notice Sets the annual management fee rate of `index` (ppm, continuously compounded, at
     * most its maximum); only OPERATOR_ROLE. The token accrues at the old rate first.
     */
    function setFeeRate(address index, uint24 ratePpm) external;

    /// @notice The rebalancer new indexes get.
    function rebalancer() external view returns (address);

    /// @notice The index token implementation.
    function implementation() external view returns (address);

    /// @notice The issuer indexes are registered with.
    function issuer() external view returns (address);

    /// @notice Every index created, in creation order.
    function indexes() external view returns (address[] memory);

    /// @notice The index named `symbol` (zero when none).
    function indexBySymbol(string calldata symbol) external view returns (address);

    /// @notice Whether this factory created `index`.
    function isIndex(address index) external view returns (bool);
}
