// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
/**
 * @title IAssetLocking
 * @notice Locks configured ERC-20s (index-token LP tokens and the like) for points. Each lockable
 * token has a global cap on the amount locked and an unlock cooldown. Unlocking moves an amount into a
 * cooldown request with its own clock (same mechanics as sToken unstaking); matured requests are
 * withdrawn. Time is cut into epochs (`currentEpoch()`), recorded in every event so indexers can
 * attribute locks to epochs; events carry the user's and the global totals.
 * Pausing stops lock, unlock and withdraw.
 * @dev Fee-on-transfer and rebasing tokens are not supported (amounts are credited as asked).
 */
interface IAssetLocking is IProtocolCommon {
    /// @notice A lockable token's configuration and totals as views return them.
    struct LockableToken {
        bool listed;
        uint64 cooldown;
        uint256 cap;
        uint256 totalLocked;
        uint256 totalCooling;
    }

    /// @notice One pending unlock request as views return it.
    struct Cooldown {
        uint256 id;
        uint256 amount;
        uint64 endsAt;
    }

    /// @notice `token` is lockable up to a global `cap`, with `cooldown` seconds between unlock and withdraw.
    event LockableTokenConfigured(address indexed token, uint256 cap, uint64 cooldown);

    /// @notice Epoch 1 starts at `start`; each epoch lasts `length` seconds.
    event EpochScheduleUpdated(uint64 start, uint64 length);

    /// @notice `user` locked `amount` of `token` during `epoch`; their and the global locked totals after.
    event Locked(
        address indexed user,
        address indexed token,
        uint256 indexed epoch,
        uint256 amount,
        uint256 userLocked,
        uint256 totalLocked
    );

    /// @notice `user` started unlocking `amount` of `token` as request `requestId`, withdrawable from `endsAt`.
    event UnlockRequested(
        address indexed user,
        address indexed token,
        uint256 indexed epoch,
        uint256 requestId,
        uint256 amount,
        uint64 endsAt,
        uint256 userLocked,
        uint256 userCooling,
        uint256 totalLocked
    );

    /// @notice `user` withdrew `amount` of `token`: requests `firstRequestId`..`lastRequestId` (inclusive).
    event Withdrawn(
        address indexed user,
        address indexed token,
        uint256 indexed epoch,
        uint256 amount,
        uint256 firstRequestId,
        uint256 lastRequestId,
        uint256 userCooling,
        uint256 totalCooling
    );



    /// @notice `token` was never configured as lockable.
    error TokenNotLockable(address token);

    /// @notice Locking `amount` more of `token` would take its global total past `cap`.
    error LockCapExceeded(address token, uint256 cap, uint256 totalLocked, uint256 amount);

    /// @notice `user` has `locked` of `token` locked, less than the `amount` asked to unlock.
    error InsufficientLocked(address user, address token, uint256 locked, uint256 amount);



    /// @notice An epoch length outside [`min`, `max`] or a zero start was given.
    error InvalidEpochSchedule(uint64 start, uint64 length, uint64 min, uint64 max);

    /**
     * @notice Sets up the contract.
     * @param admin Receives the admin, pauser and upgrader roles.
     * @param epochStart Start of epoch 1 (unix seconds).
     * @param epochLength Length of an epoch in seconds.
     */
    function initialize(address admin, uint64 epochStart, uint64 epochLength) external;

    /**
     * @notice Admin: makes `token` lockable (or updates it) with a global `cap` and an unlock `cooldown`.
     * A cap below the current total only blocks new locks; a new cooldown applies to new unlocks only.
     */
    function configureToken(address token, uint256 cap, uint64 cooldown) external;

    /**
     * @notice Admin: sets the epoch schedule (epoch 1 starts at `start`, each lasts `length`). Changing it
     * renumbers epochs; indexers follow EpochScheduleUpdated.
     */
    function setEpochSchedule(uint64 start, uint64 length) external;

    /// @notice Locks `amount` of `token` (pulled with transferFrom) for the caller.
    function lock(address token, uint256 amount) external;

    /**
     * @notice Starts unlocking `amount` of the caller's locked `token`: it stops counting as locked now
     * and is withdrawable after the token's cooldown (requests mature in order, as for sTokens).
     * @return requestId The caller's id for this request (ids are per user and token).
     */
    function unlock(address token, uint256 amount) external returns (uint256 requestId);

    /// @notice Pays the caller every matured unlock request of `token`; reverts when none has matured.
    function withdraw(address token) external returns (uint256 amount);

    /**
     * @notice Like `withdraw`, paying at most `maxRequests` matured requests (oldest first), so an
     * account with very many requests can withdraw in bounded gas; reverts when it pays none.
     */
    function withdrawMatured(address token, uint256 maxRequests) external returns (uint256 amount);

    /// @notice Epoch number now: 0 before the schedule starts, then 1, 2, ...
    function currentEpoch() external view returns (uint256);

    /// @notice Epoch number at `timestamp`.
    function epochAt(uint256 timestamp) external view returns (uint256);

    /// @notice The epoch schedule: start of epoch 1 and epoch length.
    function epochSchedule() external view returns (uint64 start, uint64 length);

    /// @notice `token`'s configuration and global totals.
    function lockableToken(address token) external view returns (LockableToken memory);

    /// @notice Every token ever configured, in configuration order.
    function lockableTokens() external view returns (address[] memory);

    /// @notice `user`'s locked amount of `token`.
    function lockedOf(address user, address token) external view returns (uint256);

    /// @notice `user`'s amount of `token` in unlock cooldown, matured or not.
    function coolingOf(address user, address token) external view returns (uint256);

    /// @notice What `withdraw(token)` would pay `user` now.
    function withdrawableOf(address user, address token) external view returns (uint256);

    /// @notice `user`'s pending unlock requests for `token`, oldest first.
    function cooldownsOf(address user, address token) external view returns (Cooldown[] memory);
}
