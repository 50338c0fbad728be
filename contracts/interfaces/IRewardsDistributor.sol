// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
/**
 * @title IRewardsDistributor
 * @notice Pays epoch rewards against Merkle roots of cumulative allocations.
 *
 * Each epoch the operator publishes a root over leaves (account, cumulativeAmount): everything
 * `account` was ever allocated up to that epoch. Leaves use OpenZeppelin's StandardMerkleTree
 * encoding with types ['address', 'uint256']:
 * `leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))`, pairs hashed
 * sorted, so proofs from the OpenZeppelin merkle-tree npm package verify as they are.
 *
 * A published root is pending for `activationDelay()`, during which a root revoker (ROOT_REVOKER_ROLE) can revoke it; only
 * one root can be pending at a time. Claims use the claimable root: the pending one once its delay
 * has passed, else the last activated one. A claim pays `cumulativeAmount - claimedOf(account)` to
 * `account`; a claim that would pay nothing (already claimed, or an older allocation) reverts with
 * NothingToClaim rather than succeeding silently. Roots follow each other epoch by epoch, and what
 * has been claimed is kept on chain (per account and in all): a claim that would take the total paid
 * past the claimable root's `totalCumulative` reverts `RootOverdrawn`, so a root that gives an account
 * less than it already claimed can never pay out funds beyond its own total (funding meant for later
 * roots); a corrected next root pays the rest.
 *
 * Funding: reward tokens come in through `fund`; a root can only be published when everything funded
 * so far covers its total cumulative allocation, so every claim is always payable.
 *
 * Pausing stops publishRoot and claim; fund, setClaimer and the root revoker's revokeRoot go on.
 */
interface IRewardsDistributor is IProtocolCommon {
    /// @notice A published root as views return it.
    struct EpochRoot {
        bytes32 root;
        uint256 totalCumulative;
        uint64 activatesAt;
        bool revoked;
    }

    /// @notice The root of `epoch` was published; claimable from `activatesAt` unless revoked before.
    event RootPublished(uint32 indexed epoch, bytes32 root, uint256 totalCumulative, uint64 activatesAt);

    /// @notice The pending root of `epoch` was revoked by `revoker`.
    event RootRevoked(uint32 indexed epoch, bytes32 root, address indexed revoker);

    /// @notice `claimer` claimed `amount` for `account` against `epoch`'s root; `account` has claimed `totalClaimed` in all.
    event Claimed(
        address indexed account,
        address indexed claimer,
        uint32 indexed epoch,
        uint256 amount,
        uint256 totalClaimed
    );

    /// @notice `account` allowed (or stopped allowing) `claimer` to claim on its behalf.
    event ClaimerSet(address indexed account, address indexed claimer, bool approved);

    /// @notice `from` added `amount` reward tokens; `totalFunded` have been added in all.
    event Funded(address indexed from, uint256 amount, uint256 totalFunded);

    /// @notice Roots published from now on activate `newDelay` seconds after publication.
    event ActivationDelayUpdated(uint64 previousDelay, uint64 newDelay);



    /// @notice A zero root was given.
    error ZeroRoot();

    /// @notice `delay` is outside [`min`, `max`].
    error ActivationDelayOutOfBounds(uint64 delay, uint64 min, uint64 max);

    /// @notice `epoch` is above the highest epoch number `maxEpoch`.
    error EpochOutOfRange(uint32 epoch, uint32 maxEpoch);

    /// @notice `epoch` is not the next one, `expected` (the last activated epoch + 1; at least 1 for the first root).
    error EpochNotNext(uint32 epoch, uint32 expected);
    /// @notice Paying `amount` would take what `epoch`'s root paid out in all (`totalClaimed` so far) past
    /// its `totalCumulative`: the root gives some account less than it had already claimed.
    error RootOverdrawn(uint32 epoch, uint256 totalCumulative, uint256 totalClaimed, uint256 amount);

    /// @notice The root of `pendingEpoch` is still pending until `activatesAt`; it must activate or be revoked first.
    error RootPending(uint32 pendingEpoch, uint64 activatesAt);

    /// @notice `totalCumulative` is below the previous root's `previousTotal` (cumulative allocations only grow).
    error TotalCumulativeDecreased(uint256 previousTotal, uint256 totalCumulative);

    /// @notice Paying `totalCumulative` needs more than the `totalFunded` reward tokens funded so far.
    error RewardsUnderfunded(uint256 totalCumulative, uint256 totalFunded);

    /// @notice `epoch` has no pending root that can still be revoked.
    error RootNotRevocable(uint32 epoch);

    /// @notice No root is claimable yet.
    error NoClaimableRoot();

    /// @notice `claimer` may not claim for `account`.
    error UnauthorizedClaimer(address account, address claimer);

    /// @notice The proof does not show (`account`, `cumulativeAmount`) under the root of `epoch`.
    error InvalidProof(address account, uint256 cumulativeAmount, uint32 epoch);

    /// @notice `account` already claimed `claimed`, not less than `cumulativeAmount`.
    error NothingToClaim(address account, uint256 cumulativeAmount, uint256 claimed);

    /**
     * @notice Sets up the distributor.
     * @param admin Receives the admin, pauser, upgrader and root revoker roles.
     * @param rewardToken_ The ERC-20 rewards are paid in (fixed for the contract's life).
     * @param activationDelay_ Seconds between publication and activation of a root.
     */
    function initialize(address admin, address rewardToken_, uint64 activationDelay_) external;

    /**
     * @notice Operator: publishes the cumulative-allocation root of `epoch`, claimable after the activation
     * delay. `epoch` must be the next one: the last activated epoch + 1 (so a revoked epoch is published
     * again), any epoch from 1 for the first root; at most 2^24 - 1. No other root may be pending,
     * `totalCumulative` may not decrease and must be funded.
     */
    function publishRoot(uint32 epoch, bytes32 root, uint256 totalCumulative) external;

    /// @notice Root revoker: revokes the pending root of `epoch` before it activates.
    function revokeRoot(uint32 epoch) external;

    /**
     * @notice Pays `account` its unclaimed rewards, proven by `proof` against the claimable root.
     * The caller must be `account` or a claimer it approved; tokens always go to `account`.
     * @return amount What was paid: `cumulativeAmount - claimedOf(account)` before the call.
     */
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof) external returns (uint256 amount);

    /// @notice Allows (or stops allowing) `claimer` to claim on the caller's behalf.
    function setClaimer(address claimer, bool approved) external;

    /// @notice Adds `amount` reward tokens (pulled with transferFrom) to the pool claims are paid from.
    function fund(uint256 amount) external;

    /// @notice Admin: sets the activation delay for roots published from now on.
    function setActivationDelay(uint64 delay) external;

    /// @notice The reward token.
    function rewardToken() external view returns (address);

    /// @notice Seconds between publication and activation of a root.
    function activationDelay() external view returns (uint64);

    /// @notice Reward tokens added through `fund` in all.
    function totalFunded() external view returns (uint256);

    /// @notice What `account` has claimed in all.
    function claimedOf(address account) external view returns (uint256);

    /// @notice What all accounts have claimed in all; never above the claimable root's `totalCumulative`.
    function totalClaimed() external view returns (uint256);

    /// @notice Whether `claimer` may claim for `account`.
    function isClaimer(address account, address claimer) external view returns (bool);

    /// @notice The root claims use now (epoch 0 and a zero root when none is claimable yet).
    function claimableRoot() external view returns (uint32 epoch, bytes32 root);

    /// @notice The root waiting for activation (epoch 0 when none), with its activation time.
    function pendingRoot() external view returns (uint32 epoch, bytes32 root, uint64 activatesAt);

    /// @notice The last root published for `epoch` (all zero if none).
    function rootOf(uint32 epoch) external view returns (EpochRoot memory);

    /// @notice The leaf committing (`account`, `cumulativeAmount`), as the Merkle tree hashes it.
    function leafOf(address account, uint256 cumulativeAmount) external pure returns (bytes32);
}
