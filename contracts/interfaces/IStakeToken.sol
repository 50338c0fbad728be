// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProtocolCommon} from "./IProtocolCommon.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC1363Receiver} from "@openzeppelin/contracts/interfaces/IERC1363Receiver.sol";

/**
 * @title IStakeToken
 * @notice A staking receipt token (sToken, e.g. sMAG7.ssi) for one ERC-20: staking mints sTokens 1:1;
 * unstaking burns them and starts a cooldown request with its own clock; matured requests are
 * withdrawn. Tokens in cooldown are not sTokens, so they are neither transferable nor counted as
 * staked: `balanceOf` is the staked amount, `totalSupply` the total staked.
 * Pausing stops stake (both ways below), unstake and withdraw; sToken transfers go on.
 * Events: sTokens are minted only by staking, so the ERC-20 `Transfer(address(0), user, amount)` is the
 * record of a stake (no separate Staked event, which cost about 1.6k gas a stake: the staked total is
 * `balanceOf`, and a stake leaves the cooling total as it was);
 * unstakes and withdrawals have their own events with the user's staked and cooling totals.
 * One-transaction stake: when the staked token supports ERC-1363, `transferAndCall(sToken, amount)`
 * (or `transferFromAndCall(owner, sToken, amount)`) stakes for the tokens' owner without an approval:
 * `onTransferReceived` mints the sTokens, and accepts calls from the staked token only.
 * Fee rewards: a per-sToken cumulative reward-per-share index. `distributeRewards` raises it; every
 * change of a holder's earning balance (staked plus cooling: cooling tokens keep earning until withdrawn)
 * first settles what the holder earned at the old balance, so rewards follow stake x time between
 * distributions; `claimRewards` pays them out (docs/fees.md).
 * @dev Works with any plain ERC-20 as the staked token; fee-on-transfer and rebasing tokens are not
 * supported (stakes are credited 1:1 with the amount asked for).
 */
interface IStakeToken is IERC20Metadata, IERC1363Receiver, IProtocolCommon {
    /// @notice One pending unstake request as views return it.
    struct Cooldown {
        uint256 id;
        uint256 amount;
        uint64 endsAt;
    }

    /// @notice `user` unstaked `amount` as request `requestId`, withdrawable from `endsAt`.
    event UnstakeRequested(
        address indexed user,
        uint256 indexed requestId,
        uint256 amount,
        uint64 endsAt,
        uint256 userStaked,
        uint256 userCooling
    );

    /// @notice `user` withdrew `amount`: requests `firstRequestId`..`lastRequestId` (inclusive) were paid.
    event Withdrawn(
        address indexed user,
        uint256 amount,
        uint256 firstRequestId,
        uint256 lastRequestId,
        uint256 userStaked,
        uint256 userCooling
    );

    /// @notice The admin chose `rewardToken` as the token fee rewards are paid in (once).
    event RewardTokenSet(address indexed rewardToken);

    /**
     * @notice `from` paid `amount` reward tokens to the holders: every earning unit (staked or cooling)
     * gained `amount * REWARD_SCALE / earningSupply`, taking the cumulative reward per unit to `rewardPerShare`.
     */
    event RewardsDistributed(address indexed from, uint256 amount, uint256 earningSupply, uint256 rewardPerShare);

    /// @notice `user` claimed `amount` reward tokens.
    event RewardsClaimed(address indexed user, uint256 amount);

    /// @notice The cooldown applied to new unstake requests changed.
    event CooldownDurationUpdated(uint64 previousDuration, uint64 newDuration);




    /// @notice `caller` called `onTransferReceived` but only the staked token `stakedToken` may.
    error NotStakedToken(address caller, address stakedToken);


    /// @notice The reward token is already `rewardToken`; it is set once (accrued rewards are in it).
    error RewardTokenAlreadySet(address rewardToken);

    /// @notice No reward token has been set, so nothing can be distributed yet.
    error RewardTokenNotSet();

    /// @notice Nothing is staked or cooling, so a distribution would have no one to pay.
    error NoEarningSupply();

    /// @notice `user` has no claimable reward.
    error NoRewardsAccrued(address user);

    /**
     * @notice Sets up a new sToken (called once by the StakeFactory through the proxy constructor).
     * @param admin Receives the admin, pauser and upgrader roles.
     * @param stakedToken_ The ERC-20 that is staked.
     * @param name_ ERC-20 name, e.g. "Staked MAG7.ssi".
     * @param symbol_ ERC-20 symbol, e.g. "sMAG7.ssi".
     * @param decimals_ Same as the staked token's.
     */
    function initialize(
        address admin,
        address stakedToken_,
        string calldata name_,
        string calldata symbol_,
        uint8 decimals_
    ) external;

    /// @notice Stakes `amount` of the staked token (pulled with transferFrom) and mints as many sTokens
    /// (emitting `Transfer(address(0), caller, amount)`).
    function stake(uint256 amount) external;

    /**
     * @notice Burns `amount` sTokens and starts a cooldown request for as many staked tokens.
     * The request ends `cooldownDuration()` from now, or with the caller's previous pending request
     * if that ends later (only possible after the cooldown was shortened), so requests mature in order.
     * @return requestId The caller's id for this request.
     */
    function unstake(uint256 amount) external returns (uint256 requestId);

    /// @notice Pays the caller every matured request (oldest first); reverts when none has matured.
    function withdraw() external returns (uint256 amount);

    /// @notice Like `withdraw`, paying at most `maxRequests` requests (for accounts with very many).
    function withdrawMatured(uint256 maxRequests) external returns (uint256 amount);

    /// @notice Admin: sets the cooldown for new unstake requests, within [MIN_COOLDOWN, MAX_COOLDOWN].
    function setCooldownDuration(uint64 duration) external;

    /// @notice Admin: sets the ERC-20 fee rewards are paid in (e.g. USDC); only once.
    function setRewardToken(address token) external;

    /**
     * @notice Pays `amount` reward tokens (pulled from the caller with transferFrom) to every holder in
     * proportion to their staked plus cooling balance at this moment. Anyone may pay; the fee-sale step
     * pays the stakers' share of each fee sale here. Integer division rounds down: the dust stays in the
     * contract, so the sum of claims never exceeds what was distributed.
     */
    function distributeRewards(uint256 amount) external;

    /// @notice Pays the caller every reward accrued to it so far; reverts `NoRewardsAccrued` when there is none.
    function claimRewards() external returns (uint256 amount);

    /// @notice The reward token (zero until set).
    function rewardToken() external view returns (address);

    /// @notice Cumulative reward per earning unit, scaled by REWARD_SCALE.
    function rewardPerShare() external view returns (uint256);

    /// @notice What `claimRewards()` would pay `user` now.
    function claimableRewardsOf(address user) external view returns (uint256);

    /// @notice The ERC-20 this sToken stakes.
    function stakedToken() external view returns (address);

    /// @notice Cooldown applied to new unstake requests, in seconds.
    function cooldownDuration() external view returns (uint64);

    /// @notice Sum of every account's pending (cooling) requests.
    function totalCooling() external view returns (uint256);

    /// @notice Sum of `user`'s pending (cooling) requests, matured or not.
    function coolingBalanceOf(address user) external view returns (uint256);

    /// @notice What `withdraw()` would pay `user` now.
    function withdrawableOf(address user) external view returns (uint256);

    /// @notice `user`'s pending requests, oldest first.
    function cooldownsOf(address user) external view returns (Cooldown[] memory);
}
