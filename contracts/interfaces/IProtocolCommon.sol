// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/**
 * @title IProtocolCommon
 * @notice The errors and events more than one SSI contract raises, declared once so that each name has one
 * signature and one meaning wherever it appears. Contract interfaces extend this one.
 */
interface IProtocolCommon {
    /// @notice A cash token was allowed or disallowed.
    event CashTokenSet(address indexed token, bool allowed);

    /// @notice A required address is zero.
    error ZeroAddress();
    /// @notice A required amount is zero.
    error ZeroAmount();
    /// @notice The index is not registered here.
    error UnknownIndex(address index);
    /// @notice The index is rebalancing: mint and redeem are suspended.
    error IndexRebalancing(address index);
    /// @notice The cash token is not allowed.
    error CashTokenNotAllowed(address token);
    /// @notice The order's deadline has passed.
    error OrderExpired(uint256 deadline, uint256 timestamp);
    /// @notice The order is for the other side (each contract's `Side` enum, as its uint8 value).
    error WrongSide(uint8 expected, uint8 actual);
    /// @notice The order was quoted for `requester`, not for the caller.
    error WrongRequester(address requester, address caller);
    /// @notice Only the requester (or an operator, refunding the requester) may cancel.
    error CallerNotRequester(address caller, address requester);
    /// @notice The order's maker does not hold MAKER_ROLE.
    error NotMaker(address maker);
    /// @notice The signature is not the maker's over this order and domain.
    error InvalidSignature(address maker);
    /// @notice The request is not pending; `status` is its status in the contract's `RequestStatus` enum.
    error RequestNotPending(bytes32 requestId, uint8 status);
    /// @notice The request expired at `expiresAt`; it can only be cancelled or refunded.
    error RequestExpired(bytes32 requestId, uint64 expiresAt);
    /// @notice The request cannot be cancelled or refunded before `expiresAt`.
    error RequestNotExpired(bytes32 requestId, uint64 expiresAt);
    /// @notice The request timeout is zero or above the hard cap.
    error InvalidRequestTimeout(uint256 timeout, uint256 max);
    /// @notice A price tolerance above the hard cap.
    error ToleranceTooHigh(uint256 toleranceBps, uint256 max);
    /// @notice The fee basket holds only `available` of `asset`, less than `requested`.
    error FeeBasketExceeded(address asset, uint256 available, uint256 requested);
    /// @notice A cooldown duration outside [min, max].
    error CooldownOutOfBounds(uint64 duration, uint64 min, uint64 max);
    /// @notice `user` has no matured cooldown of `token` to withdraw; the next matures at `nextEndsAt` (0: none).
    error NothingToWithdraw(address user, address token, uint64 nextEndsAt);
}
