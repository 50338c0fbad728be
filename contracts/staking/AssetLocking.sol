// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {IAssetLocking} from "../interfaces/IAssetLocking.sol";
import {CooldownQueue} from "./CooldownQueue.sol";

/**
 * @title AssetLocking
 * @notice Epoch-attributed locking of configured tokens with global caps and unlock cooldowns.
 * See IAssetLocking.
 * @dev Invariant per token: token.balanceOf(this) >= totalLocked + totalCooling.
 */
contract AssetLocking is IAssetLocking, ProtocolUpgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using CooldownQueue for CooldownQueue.Queue;

    uint64 public constant MIN_COOLDOWN = 1 hours;
    uint64 public constant MAX_COOLDOWN = 90 days;
    uint64 public constant MIN_EPOCH_LENGTH = 1 hours;
    uint64 public constant MAX_EPOCH_LENGTH = 365 days;

    struct TokenState {
        uint128 cap;
        uint128 totalLocked;
        uint128 totalCooling;
        uint64 cooldown;
        bool listed;
    }

    struct Position {
        uint256 locked;
        CooldownQueue.Queue cooling;
    }

    /// @custom:storage-location erc7201:ssi.storage.AssetLocking
    struct AssetLockingStorage {
        uint64 epochStart;
        uint64 epochLength;
        mapping(address token => TokenState) tokens;
        address[] tokenList;
        mapping(address user => mapping(address token => Position)) positions;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.AssetLocking")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant ASSET_LOCKING_STORAGE_LOCATION = 0x33537ea48abcd28ff90f3a6b1d554aa555e3fd065fa1a8883485a9e704376400;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IAssetLocking
    function initialize(address admin, uint64 epochStart, uint64 epochLength) external initializer {
        __ProtocolUpgradeable_init(admin);
        _setEpochSchedule(epochStart, epochLength);
    }

    /// @inheritdoc IAssetLocking
    function configureToken(address token, uint256 cap, uint64 cooldown) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert ZeroAddress();
        if (cooldown < MIN_COOLDOWN || cooldown > MAX_COOLDOWN) {
            revert CooldownOutOfBounds(cooldown, MIN_COOLDOWN, MAX_COOLDOWN);
        }
        AssetLockingStorage storage $ = _getAssetLockingStorage();
        TokenState storage state = $.tokens[token];
        if (!state.listed) {
            state.listed = true;
            $.tokenList.push(token);
        }
        state.cap = SafeCast.toUint128(cap);
        state.cooldown = cooldown;
        emit LockableTokenConfigured(token, cap, cooldown);
    }

    /// @inheritdoc IAssetLocking
    function setEpochSchedule(uint64 start, uint64 length) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setEpochSchedule(start, length);
    }

    /// @inheritdoc IAssetLocking
    function lock(address token, uint256 amount) external nonReentrant whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        AssetLockingStorage storage $ = _getAssetLockingStorage();
        TokenState storage state = $.tokens[token];
        if (!state.listed) revert TokenNotLockable(token);
        uint256 totalLocked = state.totalLocked + amount;
        if (totalLocked > state.cap) revert LockCapExceeded(token, state.cap, state.totalLocked, amount);
        // Safe cast: totalLocked <= cap, a uint128.
        state.totalLocked = uint128(totalLocked);
        Position storage position = $.positions[msg.sender][token];
        // Safe: a user's locked amount is part of totalLocked, which fits 128 bits.
        uint256 userLocked;
        unchecked {
            userLocked = position.locked + amount;
        }
        position.locked = userLocked;
        emit Locked(msg.sender, token, _epochAt($, block.timestamp), amount, userLocked, totalLocked);
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IAssetLocking
    function unlock(address token, uint256 amount) external whenNotPaused returns (uint256 requestId) {
        if (amount == 0) revert ZeroAmount();
        AssetLockingStorage storage $ = _getAssetLockingStorage();
        Position storage position = $.positions[msg.sender][token];
        (uint256 userLocked, uint256 totalLocked, uint64 cooldown) = _release($, position, token, amount);
        // Safe: block.timestamp + at most 90 days fits 64 bits for billions of years.
        (uint64 id, uint64 endsAt, uint256 userCooling) = position.cooling.push(amount, uint64(block.timestamp) + cooldown);
        emit UnlockRequested(
            msg.sender, token, _epochAt($, block.timestamp), id, amount, endsAt, userLocked, userCooling, totalLocked
        );
        return id;
    }

    /// @inheritdoc IAssetLocking
    function withdraw(address token) external nonReentrant whenNotPaused returns (uint256 amount) {
        return _withdraw(token, type(uint256).max);
    }

    /// @inheritdoc IAssetLocking
    function withdrawMatured(address token, uint256 maxRequests)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 amount)
    {
        return _withdraw(token, maxRequests);
    }

    /// @inheritdoc IAssetLocking
    function currentEpoch() external view returns (uint256) {
        return _epochAt(_getAssetLockingStorage(), block.timestamp);
    }

    /// @inheritdoc IAssetLocking
    function epochAt(uint256 timestamp) external view returns (uint256) {
        return _epochAt(_getAssetLockingStorage(), timestamp);
    }

    /// @inheritdoc IAssetLocking
    function epochSchedule() external view returns (uint64 start, uint64 length) {
        AssetLockingStorage storage $ = _getAssetLockingStorage();
        return ($.epochStart, $.epochLength);
    }

    /// @inheritdoc IAssetLocking
    function lockableToken(address token) external view returns (LockableToken memory) {
        TokenState storage state = _getAssetLockingStorage().tokens[token];
        return LockableToken({
            listed: state.listed,
            cooldown: state.cooldown,
            cap: state.cap,
            totalLocked: state.totalLocked,
            totalCooling: state.totalCooling
        });
    }

    /// @inheritdoc IAssetLocking
    function lockableTokens() external view returns (address[] memory) {
        return _getAssetLockingStorage().tokenList;
    }

    /// @inheritdoc IAssetLocking
    function lockedOf(address user, address token) external view returns (uint256) {
        return _getAssetLockingStorage().positions[user][token].locked;
    }

    /// @inheritdoc IAssetLocking
    function coolingOf(address user, address token) external view returns (uint256) {
        return _getAssetLockingStorage().positions[user][token].cooling.total;
    }

    /// @inheritdoc IAssetLocking
    function withdrawableOf(address user, address token) external view returns (uint256) {
        return _getAssetLockingStorage().positions[user][token].cooling.matured(block.timestamp);
    }

    /// @inheritdoc IAssetLocking
    function cooldownsOf(address user, address token) external view returns (Cooldown[] memory cooldowns) {
        (uint64 firstId, CooldownQueue.Request[] memory requests) =
            _getAssetLockingStorage().positions[user][token].cooling.pending();
        cooldowns = new Cooldown[](requests.length);
        for (uint256 i = 0; i < requests.length; ++i) {
            cooldowns[i] = Cooldown({id: firstId + i, amount: requests[i].amount, endsAt: requests[i].endsAt});
        }
    }

    /// @dev Pays the caller at most `maxRequests` matured unlock requests of `token`, oldest first.
    function _withdraw(address token, uint256 maxRequests) private returns (uint256) {
        AssetLockingStorage storage $ = _getAssetLockingStorage();
        CooldownQueue.Queue storage queue = $.positions[msg.sender][token].cooling;
        (uint256 paid, uint64 firstId, uint64 count, uint256 userCooling) =
            queue.popMatured(block.timestamp, maxRequests);
        if (count == 0) revert NothingToWithdraw(msg.sender, token, queue.nextEndsAt());
        TokenState storage state = $.tokens[token];
        uint256 totalCooling;
        // Safe: paid came out of pending requests, all counted in totalCooling; count >= 1.
        unchecked {
            totalCooling = state.totalCooling - paid;
            state.totalCooling = uint128(totalCooling);
            emit Withdrawn(
                msg.sender,
                token,
                _epochAt($, block.timestamp),
                paid,
                firstId,
                firstId + count - 1,
                userCooling,
                totalCooling
            );
        }
        IERC20(token).safeTransfer(msg.sender, paid);
        return paid;
    }

    /// @dev Takes `amount` out of the caller's and the global locked totals into the global cooling total.
    function _release(AssetLockingStorage storage $, Position storage position, address token, uint256 amount)
        private
        returns (uint256 userLocked, uint256 totalLocked, uint64 cooldown)
    {
        uint256 locked = position.locked;
        if (amount > locked) revert InsufficientLocked(msg.sender, token, locked, amount);
        TokenState storage state = $.tokens[token];
        // Safe: amount <= locked <= totalLocked.
        unchecked {
            userLocked = locked - amount;
            totalLocked = state.totalLocked - amount;
        }
        position.locked = userLocked;
        state.totalLocked = uint128(totalLocked);
        // Safe cast: amount <= locked <= totalLocked, a uint128; the sum itself is checked.
        state.totalCooling += uint128(amount);
        cooldown = state.cooldown;
    }

    function _setEpochSchedule(uint64 start, uint64 length) private {
        if (start == 0 || length < MIN_EPOCH_LENGTH || length > MAX_EPOCH_LENGTH) {
            revert InvalidEpochSchedule(start, length, MIN_EPOCH_LENGTH, MAX_EPOCH_LENGTH);
        }
        AssetLockingStorage storage $ = _getAssetLockingStorage();
        $.epochStart = start;
        $.epochLength = length;
        emit EpochScheduleUpdated(start, length);
    }

    function _epochAt(AssetLockingStorage storage $, uint256 timestamp) private view returns (uint256) {
        uint256 start = $.epochStart;
        if (timestamp < start) return 0;
        return (timestamp - start) / $.epochLength + 1;
    }

    function _getAssetLockingStorage() private pure returns (AssetLockingStorage storage $) {
        assembly {
            $.slot := ASSET_LOCKING_STORAGE_LOCATION
        }
    }
}
