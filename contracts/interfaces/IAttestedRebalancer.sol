// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAttestedIssuer} from "./IAttestedIssuer.sol";
import {ICustodyLegs} from "./ICustodyLegs.sol";
import {IProtocolCommon} from "./IProtocolCommon.sol";
import {IRebalanceErrors} from "./IRebalanceErrors.sol";
import {IRebalancer} from "./IRebalancer.sol";
import {IUnorderedNonces} from "./IUnorderedNonces.sol";

/**
 * @title IAttestedRebalancer
 * @notice Rebalances an index whose basket holds custodian assets (see ICustodyRegistry) through the same
 * custodian-attested legs as AttestedIssuer. A PMM's rebalance order (IRebalancer's `RebalanceOrder`, signed
 * under the domain "SSI Rebalancer" version 1 with this contract as verifying contract) fixes the sells and
 * buys, checked at opening as the Rebalancer checks a settlement: reference prices signed by one of the
 * Rebalancer's PRICE_ATTESTER_ROLE holders (USD per whole unit, 18 decimals, each asset scaled by its
 * registered decimals), the bought value within the Rebalancer's `toleranceBps` of the sold value, every buy
 * an asset the Rebalancer allows, the maker one of its MAKER_ROLE holders. The price protection is therefore
 * configured once, on the Rebalancer.
 * @dev One rebalance per index at a time, in four steps:
 * 1. `open` (operator): the order and prices are checked and their nonces used; nothing moves yet. The index's
 *    basket is frozen (IIndexToken `setRebalancing(true)`: no management fee accrues) until the rebalance ends, as
 *    in a Rebalancer window, so a sell fixed now still fits the basket at completion.
 * 2. `accept` (the order's maker): names its native address for each custodian sell and escrows its
 *    on-chain buys here.
 * 3. `attest` (anyone): custodian attestations (IAttestedIssuer's `CustodyLeg`, signed under AttestedIssuer's
 *    "SSI Custody" domain, `requestId` = the rebalance id). A custodian buy is a `Received` leg into a
 *    registered wallet of exactly the bought amount. A custodian sell is a `Released` leg of exactly the sold
 *    amount to the maker's named address, accepted only once the rebalance is accepted and every custodian buy
 *    is attested: the index never gives before it has received. Transaction ids are marked used in
 *    AttestedIssuer's registry, so one counts once across mints, redeems and rebalances.
 * 4. The submission (or acceptance) that leaves no leg outstanding completes it: the tokenset becomes
 *    `floor((basket + bought - sold) * 1e18 / supply)` per asset (the Rebalancer's formula, on the basket and
 *    supply at completion), attested custody gains the custodian buys and loses the custodian sells, the
 *    escrowed on-chain buys go to CustodyVault and the on-chain sells leave it for the maker.
 * The basket and attested custody change only at completion, cancellation or settlement, each of which releases
 * the basket (`setRebalancing(false)`). After the order's deadline anyone may `cancel`:
 * with no sell released yet the rebalance is cancelled (basket and custody unchanged, on-chain legs never
 * settled, the escrow back to the maker; the custodian owes the maker back any attested `Received` units).
 * Once a sell was released the units have left custody, so cancelling would leave custody short of the
 * basket; the rebalance is settled instead, as AttestedIssuer settles a redeem: completed as above, and the
 * custodian owes the maker the sells still unreleased, whose `Released` legs may still be attested.
 * Needs REBALANCER_ROLE on every index token and on AttestedIssuer, and RELEASER_ROLE on its CustodyVault.
 */
interface IAttestedRebalancer is IProtocolCommon, IUnorderedNonces, IRebalanceErrors, ICustodyLegs {
    /// @notice Where a rebalance stands.
    enum RebalanceStatus {
        None,
        Pending,
        Completed,
        Cancelled,
        /// @dev Past its deadline with some sells released: completed, the rest owed to the maker.
        Settled
    }

    /**
     * @notice An attested rebalance.
     * @param index The index rebalanced.
     * @param maker The PMM that signed the order.
     * @param orderHash The order's EIP-712 digest: later calls pass the order again and must match it.
     * @param deadline The order's deadline: last second at which it may be accepted or attested.
     * @param buysDue Custodian buys to be attested as `Received`.
     * @param buysAttested Custodian buys attested so far.
     * @param sellsDue Custodian sells to be attested as `Released`.
     * @param sellsAttested Custodian sells attested so far.
     * @param accepted Whether the maker named its addresses and escrowed its on-chain buys.
     * @param status Where it stands.
     */
    struct Rebalance {
        address index;
        address maker;
        bytes32 orderHash;
        uint64 deadline;
        uint8 buysDue;
        uint8 buysAttested;
        uint8 sellsDue;
        uint8 sellsAttested;
        bool accepted;
        RebalanceStatus status;
    }

    /**
     * @notice A rebalance of `index` was opened for the maker's order `orderHash`: its sells and buys (so the
     * custodian service and auditors read what is owed from events) and the values compared.
     */
    event RebalanceOpened(
        bytes32 indexed rebalanceId,
        address indexed index,
        address indexed maker,
        bytes32 orderHash,
        uint64 deadline,
        address[] sellAssets,
        uint256[] sellAmounts,
        address[] buyAssets,
        uint256[] buyAmounts,
        uint256 soldValue,
        uint256 boughtValue
    );
    /// @notice The maker escrowed its on-chain buys; custodian sell `sellAssets[i]` goes to `destinations[i]`.
    event RebalanceAccepted(bytes32 indexed rebalanceId, address indexed maker, address[] sellAssets, bytes32[] destinations);
    /// @notice Every leg was attested: the tokenset changed from the previous to the new one.
    event RebalanceCompleted(
        bytes32 indexed rebalanceId,
        address[] previousAssets,
        uint256[] previousUnitAmounts,
        address[] assets,
        uint256[] unitAmounts
    );
    /// @notice Past its deadline with no sell released: nothing settled, the escrow went back to the maker.
    event RebalanceCancelled(bytes32 indexed rebalanceId);
    /**
     * @notice Past its deadline after some sells were released: completed (see `RebalanceCompleted`); the
     * custodian owes the maker every custodian sell without a `LegAttested` yet.
     */
    event RebalanceSettledPastDeadline(bytes32 indexed rebalanceId);

    /// @notice `index` already has the pending rebalance `rebalanceId`.
    error RebalancePending(address index, bytes32 rebalanceId);
    /// @notice The order has no custodian leg: rebalance it atomically through the Rebalancer.
    error NoCustodianLeg();
    /// @notice Custodian asset `asset` is both bought and sold by the order.
    error AssetBoughtAndSold(address asset);
    /// @notice The order's deadline is further than MAX_REBALANCE_DURATION from now.
    error DeadlineTooFar(uint256 deadline, uint256 latest);
    /// @notice The order passed does not hash to the rebalance's `orderHash`.
    error OrderMismatch(bytes32 rebalanceId, bytes32 orderHash);
    /// @notice `rebalanceId` is not pending (`status`).
    error RebalanceNotPending(bytes32 rebalanceId, RebalanceStatus status);
    /// @notice `rebalanceId` no longer accepts acceptance or attestations: its deadline passed.
    error RebalanceExpired(bytes32 rebalanceId, uint64 deadline);
    /// @notice `rebalanceId` cannot be cancelled before its deadline.
    error RebalanceNotExpired(bytes32 rebalanceId, uint64 deadline);
    /// @notice Only the order's maker (`maker`) may accept it.
    error NotRebalanceMaker(bytes32 rebalanceId, address maker);
    /// @notice The rebalance was already accepted.
    error RebalanceAlreadyAccepted(bytes32 rebalanceId);
    /// @notice `asset` is not a custodian buy (`Received`) or sell (`Released`) of the order.
    error AssetNotInOrder(address asset);
    /// @notice A sell was attested before the maker accepted and every custodian buy was attested.
    error BuysOutstanding(bytes32 rebalanceId);
    /// @notice The `Received` leg delivers `amount` of `asset`, more than the order's `required`.
    error ExcessDelivery(address asset, uint256 amount, uint256 required);

    /**
     * @notice Sets up roles and the contracts read: `admin` gets admin, pauser and upgrader.
     * @param admin Default admin.
     * @param rebalancer The Rebalancer whose tolerance, buy allow-list, makers and price attesters apply.
     * @param attestedIssuer The AttestedIssuer: its allowed indexes, CustodyRegistry, CustodyVault, custody book,
     * transaction-id registry and "SSI Custody" leg digest.
     */
    function initialize(address admin, address rebalancer, address attestedIssuer) external;

    /**
     * @notice Opens a rebalance of `order.index` against the maker's signed order and attested prices (see the
     * contract notes for every check); uses the order's and the prices' nonces. OPERATOR_ROLE, not while paused.
     * The order must hold at least one custodian leg, every leg a registered asset.
     * @param prices Reference prices of every leg, signed by a Rebalancer PRICE_ATTESTER_ROLE holder.
     * @return rebalanceId The id the custodian attestations must name.
     */
    function open(
        IRebalancer.RebalanceOrder calldata order,
        bytes calldata makerSignature,
        IRebalancer.PriceAttestation calldata prices,
        bytes calldata priceSignature
    ) external returns (bytes32 rebalanceId);

    /**
     * @notice The maker accepts `rebalanceId`: names `destinations[i]` (keccak256 of its native address) for
     * sell `order.sellAssets[i]` (zero for on-chain sells) and escrows its on-chain buys here (allowance to this
     * contract). Completes the rebalance if no leg is outstanding. Only the maker, before the deadline, not while
     * paused.
     */
    function accept(bytes32 rebalanceId, IRebalancer.RebalanceOrder calldata order, bytes32[] calldata destinations)
        external;

    /**
     * @notice Submits custodian attestations for `rebalanceId`; anyone may call. Pending: `Received` legs of
     * custodian buys (exact amounts) and, once accepted with every buy attested, `Released` legs of custodian
     * sells (exact amounts to the maker's destination); before the deadline. Settled: the `Released` legs still
     * owed. Each leg: registered wallet on its chain, transaction id never used (AttestedIssuer's registry),
     * signed by a registered custodian signer. Not while paused.
     * @return completed Whether this submission completed the rebalance.
     */
    function attest(
        bytes32 rebalanceId,
        IRebalancer.RebalanceOrder calldata order,
        IAttestedIssuer.CustodyLeg[] calldata legs,
        bytes[] calldata signatures
    ) external returns (bool completed);

    /**
     * @notice After the deadline, anyone ends a pending rebalance: cancelled if no sell was released (escrow
     * back to the maker, basket and custody unchanged), settled otherwise (see the contract notes).
     */
    function cancel(bytes32 rebalanceId, IRebalancer.RebalanceOrder calldata order) external;

    /// @notice The rebalance `rebalanceId`.
    function getRebalance(bytes32 rebalanceId) external view returns (Rebalance memory);

    /// @notice The pending rebalance of `index` (zero when none).
    function pendingRebalance(address index) external view returns (bytes32);

    /// @notice The maker's destination for custodian sell `asset` of `rebalanceId` (zero before acceptance).
    function destination(bytes32 rebalanceId, address asset) external view returns (bytes32);

    /// @notice Whether custodian leg `asset` of `rebalanceId` has an accepted attestation.
    function isLegAttested(bytes32 rebalanceId, address asset) external view returns (bool);

    /// @notice The rebalance order's EIP-712 digest under this contract's domain: what the maker signs.
    function hashRebalanceOrder(IRebalancer.RebalanceOrder calldata order) external view returns (bytes32);

    /// @notice The price attestation's EIP-712 digest under this contract's domain: what the price attester signs.
    function hashPriceAttestation(IRebalancer.PriceAttestation calldata prices) external view returns (bytes32);

    /// @notice The Rebalancer whose price protection and roles apply.
    function rebalancer() external view returns (address);

    /// @notice The AttestedIssuer whose registry, vault and custody book are used.
    function attestedIssuer() external view returns (address);
}
