// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC1363Receiver} from "@openzeppelin/contracts/interfaces/IERC1363Receiver.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {PausableUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/PausableUpgradeable.sol";
import {PackedPausable} from "../access/PackedPausable.sol";
import {IStakeToken} from "../interfaces/IStakeToken.sol";
import {CooldownQueue} from "./CooldownQueue.sol";

/**
 * @title StakeToken
 * @notice The sToken of one staked ERC-20 (sMAG7.ssi for MAG7.ssi, sSOSO for SOSO), created by the
 * StakeFactory as a UUPS proxy. See IStakeToken.
 * @dev Invariant: stakedToken.balanceOf(this) >= totalSupply() + totalCooling().
 */
contract StakeToken is IStakeToken, PackedPausable, ERC20Upgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using CooldownQueue for CooldownQueue.Queue;

    uint64 public constant MIN_COOLDOWN = 1 hours;
    uint64 public constant MAX_COOLDOWN = 90 days;
    uint64 public constant DEFAULT_COOLDOWN = 14 days;
    /// @notice Scale of `rewardPerShare`: 1e36 keeps a 6-decimal reward over an 18-decimal stake precise.
    uint256 public constant REWARD_SCALE = 1e36;

    /// @dev A holder's reward checkpoint: the index at the last settlement and what was earned until then.
    struct RewardAccount {
        uint256 paidPerShare;
        uint256 accrued;
    }

    /// @custom:storage-location erc7201:ssi.storage.StakeToken
    struct StakeTokenStorage {
        // One slot, read by every stake/unstake/withdraw: token, cooldown, decimals and the pause flag
        // (kept here rather than in OpenZeppelin's own slot, which would be one more cold read per call).
        IERC20 stakedToken;
        uint64 cooldownDuration;
        uint8 decimals;
        bool paused;
        uint256 totalCooling;
        mapping(address user => CooldownQueue.Queue) cooldowns;
        // Appended for fee rewards (upgrade-compatible: new fields only at the end).
        IERC20 rewardToken;
        uint256 rewardPerShare;
        mapping(address user => RewardAccount) rewards;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.StakeToken")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STAKE_TOKEN_STORAGE_LOCATION = 0x34a6ef3af154e8ee937ec8426cbe645c440fe26faf06d4b1c78b1d9e71487500;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IStakeToken
    function initialize(
        address admin,
        address stakedToken_,
        string calldata name_,
        string calldata symbol_,
        uint8 decimals_
    ) external initializer {
        if (stakedToken_ == address(0)) revert ZeroAddress();
        __ProtocolUpgradeable_init(admin);
        __ERC20_init(name_, symbol_);
        StakeTokenStorage storage $ = _getStakeTokenStorage();
        $.stakedToken = IERC20(stakedToken_);
        $.decimals = decimals_;
        $.cooldownDuration = DEFAULT_COOLDOWN;
        emit CooldownDurationUpdated(0, DEFAULT_COOLDOWN);
    }

    /**
     * @inheritdoc IStakeToken
     * @dev No reentrancy guard, on purpose (it would cost about 500 gas of the 80k stake budget): the
     * effects come before the one external call, which pulls the caller's own tokens last; a call
     * re-entering from the staked token finds every pending request still backed (only the `amount`
     * being pulled is not held yet), and a failed pull reverts the whole stake.
     */
    function stake(uint256 amount) external whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        _mint(msg.sender, amount);
        _getStakeTokenStorage().stakedToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /**
     * @inheritdoc IERC1363Receiver
     * @dev The one-transaction stake (see IStakeToken): the staked token has already moved `value` here.
     * Unguarded like `stake`, and for a simpler reason: it makes no external call.
     */
    function onTransferReceived(address, address from, uint256 value, bytes calldata) external whenNotPaused returns (bytes4) {
        IERC20 token = _getStakeTokenStorage().stakedToken;
        if (msg.sender != address(token)) revert NotStakedToken(msg.sender, address(token));
        if (value == 0) revert ZeroAmount();
        _mint(from, value);
        return IERC1363Receiver.onTransferReceived.selector;
    }

    /// @inheritdoc IStakeToken
    function unstake(uint256 amount) external whenNotPaused returns (uint256 requestId) {
        if (amount == 0) revert ZeroAmount();
        StakeTokenStorage storage $ = _getStakeTokenStorage();
        _burn(msg.sender, amount);
        // Safe: block.timestamp + at most 90 days fits 64 bits for billions of years.
        uint64 endsAt = uint64(block.timestamp) + $.cooldownDuration;
        (uint64 id, uint64 effectiveEndsAt, uint256 userCooling) = $.cooldowns[msg.sender].push(amount, endsAt);
        $.totalCooling += amount;
        emit UnstakeRequested(msg.sender, id, amount, effectiveEndsAt, balanceOf(msg.sender), userCooling);
        return id;
    }

    /// @inheritdoc IStakeToken
    function withdraw() external returns (uint256 amount) {
        return _withdraw(type(uint256).max);
    }

    /// @inheritdoc IStakeToken
    function withdrawMatured(uint256 maxRequests) external returns (uint256 amount) {
        return _withdraw(maxRequests);
    }

    /// @inheritdoc IStakeToken
    function setCooldownDuration(uint64 duration) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (duration < MIN_COOLDOWN || duration > MAX_COOLDOWN) {
            revert CooldownOutOfBounds(duration, MIN_COOLDOWN, MAX_COOLDOWN);
        }
        StakeTokenStorage storage $ = _getStakeTokenStorage();
        uint64 previous = $.cooldownDuration;
        $.cooldownDuration = duration;
        emit CooldownDurationUpdated(previous, duration);
    }

    /// @inheritdoc IStakeToken
    function stakedToken() external view returns (address) {
        return address(_getStakeTokenStorage().stakedToken);
    }

    /// @inheritdoc IStakeToken
    function cooldownDuration() external view returns (uint64) {
        return _getStakeTokenStorage().cooldownDuration;
    }

    /// @inheritdoc IStakeToken
    function totalCooling() external view returns (uint256) {
        return _getStakeTokenStorage().totalCooling;
    }

    /// @inheritdoc IStakeToken
    function coolingBalanceOf(address user) external view returns (uint256) {
        return _getStakeTokenStorage().cooldowns[user].total;
    }

    /// @inheritdoc IStakeToken
    function withdrawableOf(address user) external view returns (uint256) {
        return _getStakeTokenStorage().cooldowns[user].matured(block.timestamp);
    }

    /// @inheritdoc IStakeToken
    function cooldownsOf(address user) external view returns (Cooldown[] memory cooldowns) {
        (uint64 firstId, CooldownQueue.Request[] memory requests) = _getStakeTokenStorage().cooldowns[user].pending();
        cooldowns = new Cooldown[](requests.length);
        for (uint256 i = 0; i < requests.length; ++i) {
            cooldowns[i] = Cooldown({id: firstId + i, amount: requests[i].amount, endsAt: requests[i].endsAt});
        }
    }

    /// @inheritdoc PausableUpgradeable
    function paused() public view override returns (bool) {
        return _getStakeTokenStorage().paused;
    }

    /// @notice Same decimals as the staked token.
    function decimals() public view override(ERC20Upgradeable, IERC20Metadata) returns (uint8) {
        return _getStakeTokenStorage().decimals;
    }

    /// @inheritdoc IStakeToken
    function setRewardToken(address token) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert ZeroAddress();
        StakeTokenStorage storage $ = _getStakeTokenStorage();
        address current = address($.rewardToken);
        if (current != address(0)) revert RewardTokenAlreadySet(current);
        $.rewardToken = IERC20(token);
        emit RewardTokenSet(token);
    }

    /**
     * @inheritdoc IStakeToken
     * @dev Guarded: the pull is the one external call, after the index moved, and a reward token
     * calling back must not find a half-done distribution.
     */
    function distributeRewards(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        StakeTokenStorage storage $ = _getStakeTokenStorage();
        IERC20 token = $.rewardToken;
        if (address(token) == address(0)) revert RewardTokenNotSet();
        uint256 earningSupply = totalSupply() + $.totalCooling;
        if (earningSupply == 0) revert NoEarningSupply();
        uint256 perShare = $.rewardPerShare + Math.mulDiv(amount, REWARD_SCALE, earningSupply);
        $.rewardPerShare = perShare;
        emit RewardsDistributed(msg.sender, amount, earningSupply, perShare);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IStakeToken
    function claimRewards() external nonReentrant returns (uint256 amount) {
        StakeTokenStorage storage $ = _getStakeTokenStorage();
        _settleRewards($, msg.sender);
        RewardAccount storage account = $.rewards[msg.sender];
        amount = account.accrued;
        if (amount == 0) revert NoRewardsAccrued(msg.sender);
        account.accrued = 0;
        emit RewardsClaimed(msg.sender, amount);
        $.rewardToken.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IStakeToken
    function rewardToken() external view returns (address) {
        return address(_getStakeTokenStorage().rewardToken);
    }

    /// @inheritdoc IStakeToken
    function rewardPerShare() external view returns (uint256) {
        return _getStakeTokenStorage().rewardPerShare;
    }

    /// @inheritdoc IStakeToken
    function claimableRewardsOf(address user) external view returns (uint256) {
        StakeTokenStorage storage $ = _getStakeTokenStorage();
        RewardAccount storage account = $.rewards[user];
        return account.accrued + _earnedSince($, user, account.paidPerShare, $.rewardPerShare);
    }

    /// @dev Every balance change (stake, unstake's burn, transfer) settles both sides at their old balances first.
    function _update(address from, address to, uint256 value) internal override {
        StakeTokenStorage storage $ = _getStakeTokenStorage();
        if (from != address(0)) _settleRewards($, from);
        if (to != address(0) && to != from) _settleRewards($, to);
        super._update(from, to, value);
    }

    /**
     * @dev Credits `user` with what its earning balance (staked + cooling) earned since its checkpoint
     * and moves the checkpoint to the current index. Must run before that balance changes. Costs two
     * cold reads when the index has not moved since the checkpoint (the common stake-after-stake case).
     */
    function _settleRewards(StakeTokenStorage storage $, address user) private {
        uint256 perShare = $.rewardPerShare;
        RewardAccount storage account = $.rewards[user];
        uint256 paid = account.paidPerShare;
        if (paid == perShare) return;
        uint256 earned = _earnedSince($, user, paid, perShare);
        if (earned != 0) account.accrued += earned;
        account.paidPerShare = perShare;
    }

    /// @dev Rounds down, so no holder is ever credited more than its exact share.
    function _earnedSince(StakeTokenStorage storage $, address user, uint256 paid, uint256 perShare)
        private
        view
        returns (uint256)
    {
        uint256 earning = balanceOf(user) + $.cooldowns[user].total;
        if (earning == 0) return 0;
        return Math.mulDiv(earning, perShare - paid, REWARD_SCALE);
    }

    function _withdraw(uint256 maxRequests) private nonReentrant whenNotPaused returns (uint256 amount) {
        StakeTokenStorage storage $ = _getStakeTokenStorage();
        // Withdrawn tokens stop earning: settle at the cooling balance they leave.
        _settleRewards($, msg.sender);
        CooldownQueue.Queue storage queue = $.cooldowns[msg.sender];
        (uint256 paid, uint64 firstId, uint64 count, uint256 userCooling) = queue.popMatured(block.timestamp, maxRequests);
        if (count == 0) revert NothingToWithdraw(msg.sender, address($.stakedToken), queue.nextEndsAt());
        // Safe: paid came out of the pending requests, whose sum totalCooling includes.
        unchecked {
            $.totalCooling -= paid;
        }
        // Safe: count >= 1 here.
        unchecked {
            emit Withdrawn(msg.sender, paid, firstId, firstId + count - 1, balanceOf(msg.sender), userCooling);
        }
        $.stakedToken.safeTransfer(msg.sender, paid);
        return paid;
    }

    /// @dev The pause flag lives in this contract's first slot (see PackedPausable).
    function _storePaused(bool value) internal override {
        _getStakeTokenStorage().paused = value;
    }

    function _getStakeTokenStorage() private pure returns (StakeTokenStorage storage $) {
        assembly {
            $.slot := STAKE_TOKEN_STORAGE_LOCATION
        }
    }
}
