// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/**
 * @title IIndexToken
 * @notice An SSI index token: an ERC-20 whose every unit stands for a basket of underlying assets
 * held in custody, less a continuously accruing management fee.
 * @dev The base tokenset is stored: sorted, unique asset addresses and, for each, the amount of
 * that asset (in its own smallest units) that backed 1e18 index units (one whole token) when the
 * tokenset was last set. The management fee shrinks every token's share through one fee factor
 * (1e27 = nothing taken), so fee accrual is O(1) and never rewrites the tokenset:
 * - effective unit amount `floor(baseUnitAmount * factor / 1e27)` ({tokenset});
 * - aggregate basket, what custody must hold for holders,
 *   `ceil(totalSupply * baseUnitAmount * factor / 1e45)` ({basket}), rounded up as a liability;
 * - fee basket: what the fee took, owed to the protocol and kept in custody until sold ({feeBasket}).
 * The factor decays as `factor * exp(-rate * elapsed / 365 days)` (see FeeMath) and is written on
 * every mint, burn, tokenset change and {accrueFee}, and projected to the current second by
 * every view. Each accrual adds `floor(totalSupply * (oldFactor - newFactor) / 1e27)` to the
 * pending fee units; the fee basket holds, per asset, `floor(pendingUnits * baseUnitAmount / 1e18)`
 * plus what earlier tokensets left in it. Rounding is always against the fee and for holders.
 * While rebalancing the basket stands still: accrual stops and, when rebalancing ends, resumes
 * from the moment it stopped, so the window's fee is charged on the new basket.
 * Supply changes show up as ERC-20 transfers from/to the zero address; tokenset changes as
 * {BasketUpdated} with the full new tokenset, so an indexer can rebuild the basket from events.
 */
interface IIndexToken is IERC20, IProtocolCommon {
    /**
     * @notice The fee state, as stored and as projected to now.
     * @param factor Fee factor now (1e27 = nothing taken since the tokenset was set).
     * @param pendingUnits Fee accrued since the tokenset was set and not yet moved into the fee
     * basket, in index units of the base tokenset (as of now).
     * @param accruedAt The time the stored factor refers to: the last accrual written, or the
     * start of a rebalance freeze; `factor` and `pendingUnits` are projected from it to now.
     * @param ratePpm The annual rate, continuously compounded, in parts per million.
     * @param maxRatePpm The most `ratePpm` may be set to; fixed at creation.
     * @param rebalancing Whether the basket is frozen for a rebalance (no accrual until it ends).
     */
    struct FeeState {
        uint256 factor;
        uint256 pendingUnits;
        uint256 accruedAt;
        uint256 ratePpm;
        uint256 maxRatePpm;
        bool rebalancing;
    }

    /**
     * @notice Who holds what on a new token.
     * @param admin Default admin (two-step handover); also gets the pauser and upgrader roles.
     * @param issuer The only account allowed to mint and burn (ISSUER_ROLE).
     * @param manager The factory: an extra upgrader and the operator that sets the fee rate.
     * @param rebalancer Gets REBALANCER_ROLE (basket freeze, tokenset changes, fee withdrawals); zero for none.
     */
    struct Roles {
        address admin;
        address issuer;
        address manager;
        address rebalancer;
    }

    /// @notice The tokenset changed; carries the complete new tokenset and the supply it applies to.
    event BasketUpdated(address[] assets, uint256[] unitAmounts, uint256 totalSupply);
    /// @notice The fee factor was brought up to date: its new value and the pending fee units.
    event FeeAccrued(uint256 factor, uint256 pendingUnits);
    /// @notice The annual fee rate changed (applies from this block on).
    event FeeRateSet(uint256 ratePpm);
    /// @notice The basket was frozen for a rebalance (`true`) or released (`false`).
    event RebalancingSet(bool rebalancing);
    /// @notice The materialized fee basket changed; carries all of it (assets ascending).
    event FeeBasketUpdated(address[] assets, uint256[] amounts);

    /// @notice A tokenset must hold at least one asset.
    error TokensetEmpty();
    /// @notice A tokenset holds more assets than `max`.
    error TokensetTooLarge(uint256 length, uint256 max);
    /// @notice The asset and amount lists of a tokenset differ in length.
    error TokensetLengthMismatch(uint256 assets, uint256 amounts);
    /// @notice Assets must be strictly ascending by address (so sorted and unique); `asset` at `position` is not.
    error TokensetNotSorted(uint256 position, address asset);
    /// @notice The amount at `position` is zero or does not fit the 96 bits a tokenset entry keeps.
    error TokensetAmountInvalid(uint256 position, uint256 amount);
    /// @notice Storing the tokenset's data contract failed.
    error TokensetWriteFailed();
    /// @notice The fee rate is above the index's maximum (or the maximum above the hard cap).
    error FeeRateAboveMax(uint256 ratePpm, uint256 maxRatePpm);
    /// @notice The fee rate cannot change while the basket is frozen for a rebalance.
    error FeeRateLockedWhileRebalancing();
    /// @notice The asset and amount lists of a fee withdrawal differ in length.
    error FeeLengthMismatch(uint256 assets, uint256 amounts);
    /// @notice The fee basket holds (or a fee sale would leave it holding) `length` assets, more than
    /// `max`; sell fee assets first.
    error FeeBasketTooLarge(uint256 length, uint256 max);

    /**
     * @notice Sets up a new index token behind its proxy.
     * @param name_ ERC-20 name.
     * @param symbol_ ERC-20 symbol, e.g. MAG7.ssi.
     * @param roles Admin, issuer, manager (the factory) and rebalancer.
     * @param assets Tokenset assets, strictly ascending by address.
     * @param unitAmounts Amount of each asset per 1e18 index units; each non-zero and below 2^96.
     * @param maxFeeRatePpm The highest annual fee rate this index may ever charge (at most 10%).
     * @param feeRatePpm The annual fee rate from creation on (at most `maxFeeRatePpm`).
     */
    function initialize(
        string memory name_,
        string memory symbol_,
        Roles memory roles,
        address[] memory assets,
        uint256[] memory unitAmounts,
        uint24 maxFeeRatePpm,
        uint24 feeRatePpm
    ) external;

    /// @notice Accrues the fee, then mints `amount` index units to `to`; only the issuer, not while paused.
    function mint(address to, uint256 amount) external;

    /// @notice Accrues the fee, then burns `amount` index units held by `from`; only the issuer, not while paused.
    function burn(address from, uint256 amount) external;

    /**
     * @notice Brings the fee factor up to date; anyone may call it, at any time.
     * @dev Costs the same however long since the last accrual; does nothing within the same
     * second, with a zero rate or while rebalancing.
     * @return factor The fee factor now.
     */
    function accrueFee() external returns (uint256 factor);

    /**
     * @notice Sets the annual fee rate (parts per million, continuously compounded) after
     * accruing at the old one. Only OPERATOR_ROLE (the factory); at most the maximum fixed at
     * creation; not while rebalancing.
     */
    function setFeeRate(uint24 ratePpm) external;

    /**
     * @notice Freezes (`true`) or releases (`false`) the basket for a rebalance. Freezing accrues
     * first and stops accrual; releasing resumes it from the moment it stopped, so the next
     * accrual charges the whole window on the basket as it is then. Only REBALANCER_ROLE.
     */
    function setRebalancing(bool rebalancing) external;

    /**
     * @notice Replaces the tokenset (a rebalance): accrues, moves the pending fee into the fee
     * basket at the old tokenset, resets the factor to 1e27 and stores `assets`/`unitAmounts` as
     * the new base. Only REBALANCER_ROLE, not while paused. With a fee pending it reverts
     * `FeeBasketTooLarge` while the fee basket holds more than MAX_FEE_ASSETS (64) assets: sell fee
     * assets first ({takeFee} always can); with nothing pending (e.g. at a zero rate) it never
     * does. The caller is responsible for custody covering the new basket (the rebalancer derives
     * it from what custody holds for the index).
     */
    function setTokenset(address[] calldata assets, uint256[] calldata unitAmounts) external;

    /**
     * @notice Takes `amounts` of `assets` out of the fee basket (a fee sale): accrues, moves the
     * pending fee into the fee basket, then subtracts. Reverts `FeeBasketExceeded` above what the
     * fee basket holds, so a sale never touches the holders' basket. Reverts `FeeBasketTooLarge`
     * only if it would leave the fee basket holding more assets than both MAX_FEE_ASSETS and what
     * it held before, so a sale in full or in parts that shrinks the basket always goes through.
     * Only REBALANCER_ROLE, not while paused; the caller moves the assets out of custody.
     */
    function takeFee(address[] calldata assets, uint256[] calldata amounts) external;

    /// @notice The role allowed to mint and burn.
    function ISSUER_ROLE() external view returns (bytes32);

    /// @notice The role allowed to freeze the basket, change the tokenset and take fees (the rebalancer).
    function REBALANCER_ROLE() external view returns (bytes32);

    /**
     * @notice The effective per-token basket now: assets (ascending) and
     * `floor(baseUnitAmount * factor / 1e27)` of each per 1e18 index units.
     */
    function tokenset() external view returns (address[] memory assets, uint256[] memory unitAmounts);

    /**
     * @notice What the basket formula works from: the base tokenset and the fee factor now.
     * Order legs and the basket are `indexAmount * baseUnitAmount * factor / 1e45`, rounded.
     */
    function baseTokenset()
        external
        view
        returns (address[] memory assets, uint256[] memory baseUnitAmounts, uint256 factor);

    /// @notice The aggregate basket custody must hold for holders: `ceil(totalSupply * base * factor / 1e45)` per asset.
    function basket() external view returns (address[] memory assets, uint256[] memory amounts);

    /// @notice The fee basket now (materialized plus pending), assets ascending; held in custody on top of the basket.
    function feeBasket() external view returns (address[] memory assets, uint256[] memory amounts);

    /**
     * @notice How many assets the materialized fee basket holds, and the most it may hold for a
     * tokenset change to add to it (MAX_FEE_ASSETS); a rebalance should sell fee assets before
     * `assets` plus the tokenset's length passes `maxAssets`.
     */
    function feeBasketSize() external view returns (uint256 assets, uint256 maxAssets);

    /// @notice The fee factor now (1e27 = nothing taken since the tokenset was set).
    function feeFactor() external view returns (uint256);

    /// @notice The fee state, projected to now.
    function feeState() external view returns (FeeState memory);
}
