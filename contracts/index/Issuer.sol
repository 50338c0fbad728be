// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {MakerSignature} from "../libraries/MakerSignature.sol";
import {ICustodyVault} from "../interfaces/ICustodyVault.sol";
import {IIndexToken} from "../interfaces/IIndexToken.sol";
import {IIssuer} from "../interfaces/IIssuer.sol";
import {UnorderedNonces} from "../utils/UnorderedNonces.sol";
import {BasketMath} from "./libraries/BasketMath.sol";
import {QuoteOrderHash} from "./libraries/QuoteOrderHash.sol";

/**
 * @title Issuer
 * @notice Mints and redeems every index token against PMM-signed quote orders. See {IIssuer}.
 * @dev Holds no underlying: it only ever holds the escrow of pending requests (cash for mints,
 * index units for redeems), tracked per token in `escrowed` so nobody can take it, while
 * anything sent here by mistake stays recoverable.
 */
contract Issuer is IIssuer, UnorderedNonces, ProtocolUpgradeable, EIP712Upgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @inheritdoc IIssuer
    bytes32 public constant MAKER_ROLE = keccak256("MAKER_ROLE");
    /// @inheritdoc IIssuer
    bytes32 public constant PARTICIPANT_ROLE = keccak256("PARTICIPANT_ROLE");
    /// @inheritdoc IIssuer
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @inheritdoc IIssuer
    bytes32 public constant REBALANCER_ROLE = keccak256("REBALANCER_ROLE");

    /// @dev Hard cap on issue and redeem fees: 10%.
    uint256 public constant MAX_FEE_BPS = 1_000;
    /// @dev Hard cap on how long a request can hold a requester's funds.
    uint256 public constant MAX_REQUEST_TIMEOUT = 7 days;
    uint256 private constant BPS = 10_000;
    string private constant DOMAIN_NAME = "SSI Issuer";
    string private constant DOMAIN_VERSION = "1";

    /// @dev An index's settings and state, packed in two slots (min/max; everything else).
    struct IndexEntry {
        uint128 minAmount;
        uint128 maxAmount;
        address feeVault; // zero means not registered
        uint16 issueFeeBps;
        uint16 redeemFeeBps;
        // Seconds; at most MAX_REQUEST_TIMEOUT (7 days), so 24 bits keep the entry in two slots.
        uint24 requestTimeout;
        bool rebalancing;
        uint24 pendingRequests;
        bool mintPaused;
    }

    /// @custom:storage-location erc7201:ssi.storage.Issuer
    struct IssuerStorage {
        address custody;
        mapping(address index => IndexEntry) indexes;
        mapping(address token => bool) cashTokens;
        mapping(address maker => mapping(uint256 wordPos => uint256 bitmap)) nonceBitmaps;
        mapping(bytes32 orderHash => Request) requests;
        mapping(address token => uint256) escrowed;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.Issuer")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant ISSUER_STORAGE_LOCATION = 0x7a114450ec31e22db44a42f6f595ece783aa160bf35b685e52d3a35fc8ad2000;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IIssuer
    function initialize(address admin, address custody_) external initializer {
        if (custody_ == address(0)) revert ZeroAddress();
        __ProtocolUpgradeable_init(admin);
        __EIP712_init(DOMAIN_NAME, DOMAIN_VERSION);
        _getIssuerStorage().custody = custody_;
    }

    // ---------------------------------------------------------------- atomic settlement

    /// @inheritdoc IIssuer
    function mint(QuoteOrder calldata order, bytes calldata signature, uint256 maxFeeBps)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 orderHash)
    {
        IssuerStorage storage $ = _getIssuerStorage();
        uint256 fee;
        address feeVault;
        (orderHash, fee, feeVault) = _checkOrder($, order, signature, Side.Mint, maxFeeBps, msg.sender);
        _useUnorderedNonce(order.maker, order.nonce);
        _deliverUnderlying($, order);
        IERC20 cash = IERC20(order.cashToken);
        cash.safeTransferFrom(msg.sender, order.maker, order.cashAmount);
        if (fee != 0) cash.safeTransferFrom(msg.sender, feeVault, fee);
        IIndexToken(order.index).mint(msg.sender, order.indexAmount);
        _emitMinted(orderHash, order, fee);
    }

    /// @inheritdoc IIssuer
    function redeem(QuoteOrder calldata order, bytes calldata signature, uint256 maxFeeBps)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 orderHash)
    {
        IssuerStorage storage $ = _getIssuerStorage();
        uint256 fee;
        address feeVault;
        (orderHash, fee, feeVault) = _checkOrder($, order, signature, Side.Redeem, maxFeeBps, msg.sender);
        _useUnorderedNonce(order.maker, order.nonce);
        IIndexToken(order.index).burn(msg.sender, order.indexAmount);
        _payRedeemCash(order, fee, feeVault);
        ICustodyVault($.custody).release(order.index, order.maker, order.assets, order.amounts);
        _emitRedeemed(orderHash, order, fee);
    }

    // ---------------------------------------------------------------- request / fill / cancel

    /// @inheritdoc IIssuer
    function requestMint(QuoteOrder calldata order, bytes calldata signature, uint256 maxFeeBps)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 orderHash)
    {
        IssuerStorage storage $ = _getIssuerStorage();
        uint256 fee;
        (orderHash, fee,) = _checkOrder($, order, signature, Side.Mint, maxFeeBps, msg.sender);
        _useUnorderedNonce(order.maker, order.nonce);
        uint64 expiresAt = _openRequest($, order, orderHash, fee);
        uint256 total = order.cashAmount + fee;
        $.escrowed[order.cashToken] += total;
        emit MintRequested(
            orderHash,
            order.index,
            msg.sender,
            order.maker,
            order.indexAmount,
            order.cashToken,
            order.cashAmount,
            fee,
            expiresAt
        );
        IERC20(order.cashToken).safeTransferFrom(msg.sender, address(this), total);
    }

    /// @inheritdoc IIssuer
    function fillMint(QuoteOrder calldata order) external nonReentrant whenNotPaused {
        IssuerStorage storage $ = _getIssuerStorage();
        (bytes32 orderHash, uint256 fee, address feeVault) = _closeForFill($, order, Side.Mint);
        $.escrowed[order.cashToken] -= order.cashAmount + fee;
        _deliverUnderlying($, order);
        IERC20 cash = IERC20(order.cashToken);
        cash.safeTransfer(order.maker, order.cashAmount);
        if (fee != 0) cash.safeTransfer(feeVault, fee);
        IIndexToken(order.index).mint(order.requester, order.indexAmount);
        _emitMinted(orderHash, order, fee);
    }

    /// @inheritdoc IIssuer
    function cancelMint(QuoteOrder calldata order) external nonReentrant {
        _refundMint(order, RequestStatus.Cancelled);
    }

    /// @inheritdoc IIssuer
    function rejectMint(QuoteOrder calldata order) external nonReentrant {
        _refundMint(order, RequestStatus.Rejected);
    }

    /// @inheritdoc IIssuer
    function requestRedeem(QuoteOrder calldata order, bytes calldata signature, uint256 maxFeeBps)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 orderHash)
    {
        IssuerStorage storage $ = _getIssuerStorage();
        uint256 fee;
        (orderHash, fee,) = _checkOrder($, order, signature, Side.Redeem, maxFeeBps, msg.sender);
        _useUnorderedNonce(order.maker, order.nonce);
        uint64 expiresAt = _openRequest($, order, orderHash, fee);
        $.escrowed[order.index] += order.indexAmount;
        emit RedeemRequested(
            orderHash,
            order.index,
            msg.sender,
            order.maker,
            order.indexAmount,
            order.cashToken,
            order.cashAmount,
            fee,
            expiresAt
        );
        IERC20(order.index).safeTransferFrom(msg.sender, address(this), order.indexAmount);
    }

    /// @inheritdoc IIssuer
    function fillRedeem(QuoteOrder calldata order) external nonReentrant whenNotPaused {
        IssuerStorage storage $ = _getIssuerStorage();
        (bytes32 orderHash, uint256 fee, address feeVault) = _closeForFill($, order, Side.Redeem);
        $.escrowed[order.index] -= order.indexAmount;
        IIndexToken(order.index).burn(address(this), order.indexAmount);
        _payRedeemCash(order, fee, feeVault);
        ICustodyVault($.custody).release(order.index, order.maker, order.assets, order.amounts);
        _emitRedeemed(orderHash, order, fee);
    }

    /// @inheritdoc IIssuer
    function cancelRedeem(QuoteOrder calldata order) external nonReentrant {
        _refundRedeem(order, RequestStatus.Cancelled);
    }

    /// @inheritdoc IIssuer
    function rejectRedeem(QuoteOrder calldata order) external nonReentrant {
        _refundRedeem(order, RequestStatus.Rejected);
    }

    // ---------------------------------------------------------------- administration

    /// @inheritdoc IIssuer
    function registerIndex(address index, IndexConfig calldata config) external onlyRole(REGISTRAR_ROLE) {
        if (index == address(0)) revert ZeroAddress();
        IndexEntry storage entry = _getIssuerStorage().indexes[index];
        if (entry.feeVault != address(0)) revert IndexAlreadyRegistered(index);
        _writeConfig(entry, config);
        emit IndexRegistered(index, config);
    }

    /// @inheritdoc IIssuer
    function setIndexConfig(address index, IndexConfig calldata config) external onlyRole(OPERATOR_ROLE) {
        _writeConfig(_registeredEntry(_getIssuerStorage(), index), config);
        emit IndexConfigUpdated(index, config);
    }

    /// @inheritdoc IIssuer
    function setRebalancing(address index, bool rebalancing) external onlyRole(REBALANCER_ROLE) {
        IndexEntry storage entry = _registeredEntry(_getIssuerStorage(), index);
        if (rebalancing && entry.pendingRequests != 0) revert RequestsInFlight(index, entry.pendingRequests);
        entry.rebalancing = rebalancing;
        emit RebalancingSet(index, rebalancing);
    }

    /// @inheritdoc IIssuer
    function setMintPaused(address index, bool paused) external onlyRole(OPERATOR_ROLE) {
        _registeredEntry(_getIssuerStorage(), index).mintPaused = paused;
        emit MintPausedSet(index, paused);
    }

    /// @inheritdoc IIssuer
    function setCashToken(address token, bool allowed) external onlyRole(OPERATOR_ROLE) {
        if (token == address(0)) revert ZeroAddress();
        _getIssuerStorage().cashTokens[token] = allowed;
        emit CashTokenSet(token, allowed);
    }

    /// @inheritdoc IIssuer
    function recoverExcess(address token, address to) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        uint256 amount = IERC20(token).balanceOf(address(this)) - _getIssuerStorage().escrowed[token];
        emit ExcessRecovered(token, to, amount);
        IERC20(token).safeTransfer(to, amount);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IIssuer
    function hashOrder(QuoteOrder calldata order) external view returns (bytes32) {
        return _hashTypedDataV4(QuoteOrderHash.hash(order));
    }

    /// @inheritdoc IIssuer
    function verifyOrder(QuoteOrder calldata order, bytes calldata signature, uint256 maxFeeBps)
        external
        view
        returns (bytes32 orderHash, uint256 fee)
    {
        _requireNotPaused();
        (orderHash, fee,) = _checkOrder(_getIssuerStorage(), order, signature, order.side, maxFeeBps, order.requester);
        _requireUnusedNonce(order.maker, order.nonce);
    }

    /// @inheritdoc IIssuer
    function basketFor(address index, uint256 indexAmount, Side side)
        external
        view
        returns (address[] memory assets, uint256[] memory amounts)
    {
        _registeredEntry(_getIssuerStorage(), index);
        uint256 factor;
        (assets, amounts, factor) = IIndexToken(index).baseTokenset();
        bool roundUp = side == Side.Mint;
        for (uint256 i = 0; i < amounts.length; ++i) {
            amounts[i] = BasketMath.amountFor(indexAmount, amounts[i], factor, roundUp);
        }
    }

    /// @inheritdoc IIssuer
    function indexConfig(address index) external view returns (IndexConfig memory config) {
        IndexEntry storage entry = _getIssuerStorage().indexes[index];
        config = IndexConfig({
            minAmount: entry.minAmount,
            maxAmount: entry.maxAmount,
            feeVault: entry.feeVault,
            issueFeeBps: entry.issueFeeBps,
            redeemFeeBps: entry.redeemFeeBps,
            requestTimeout: entry.requestTimeout
        });
    }

    /// @inheritdoc IIssuer
    function isRebalancing(address index) external view returns (bool) {
        return _getIssuerStorage().indexes[index].rebalancing;
    }

    /// @inheritdoc IIssuer
    function isMintPaused(address index) external view returns (bool) {
        return _getIssuerStorage().indexes[index].mintPaused;
    }

    /// @inheritdoc IIssuer
    function pendingRequests(address index) external view returns (uint256) {
        return _getIssuerStorage().indexes[index].pendingRequests;
    }

    /// @inheritdoc IIssuer
    function getRequest(bytes32 orderHash) external view returns (Request memory) {
        return _getIssuerStorage().requests[orderHash];
    }

    /// @inheritdoc IIssuer
    function nonceBitmap(address maker, uint256 wordPos) external view returns (uint256) {
        return _getIssuerStorage().nonceBitmaps[maker][wordPos];
    }

    /// @inheritdoc IIssuer
    function isCashToken(address token) external view returns (bool) {
        return _getIssuerStorage().cashTokens[token];
    }

    /// @inheritdoc IIssuer
    function escrowed(address token) external view returns (uint256) {
        return _getIssuerStorage().escrowed[token];
    }

    /// @inheritdoc IIssuer
    function custody() external view returns (address) {
        return _getIssuerStorage().custody;
    }

    // ---------------------------------------------------------------- internals

    /**
     * @dev Every check of a submission by `caller` but the nonce, in the documented order: role, expiry,
     * fields, basket, maker and signature. Returns what settlement needs; the caller then uses the nonce.
     */
    function _checkOrder(
        IssuerStorage storage $,
        QuoteOrder calldata order,
        bytes calldata signature,
        Side side,
        uint256 maxFeeBps,
        address caller
    ) private view returns (bytes32 orderHash, uint256 fee, address feeVault) {
        if (!hasRole(PARTICIPANT_ROLE, caller)) revert AccessControlUnauthorizedAccount(caller, PARTICIPANT_ROLE);
        if (block.timestamp > order.deadline) revert OrderExpired(order.deadline, block.timestamp);
        if (order.side != side) revert WrongSide(uint8(side), uint8(order.side));
        if (order.requester != caller) revert WrongRequester(order.requester, caller);
        IndexEntry memory entry = $.indexes[order.index];
        if (entry.feeVault == address(0)) revert UnknownIndex(order.index);
        if (entry.rebalancing) revert IndexRebalancing(order.index);
        if (side == Side.Mint && entry.mintPaused) revert MintPaused(order.index);
        if (order.indexAmount < entry.minAmount || order.indexAmount > entry.maxAmount) {
            revert AmountOutOfRange(order.indexAmount, entry.minAmount, entry.maxAmount);
        }
        if (!$.cashTokens[order.cashToken]) revert CashTokenNotAllowed(order.cashToken);
        uint256 feeBps = side == Side.Mint ? entry.issueFeeBps : entry.redeemFeeBps;
        if (feeBps > maxFeeBps) revert FeeAboveMax(feeBps, maxFeeBps);
        _checkBasket(order);
        if (!hasRole(MAKER_ROLE, order.maker)) revert NotMaker(order.maker);
        orderHash = _hashTypedDataV4(QuoteOrderHash.hash(order));
        if (!MakerSignature.isValid(order.maker, orderHash, signature)) revert InvalidSignature(order.maker);
        fee = Math.mulDiv(order.cashAmount, feeBps, BPS, Math.Rounding.Ceil);
        feeVault = entry.feeVault;
    }

    /**
     * @dev The order's legs must be the tokenset's assets in its order, each amount within the
     * bound the basket formula gives now: at least `ceil(indexAmount * base * factor / 1e45)` on a
     * mint (what custody must receive), at most `floor(...)` on a redeem (what custody may
     * release). The fee factor only falls between tokenset changes, so legs quoted at the fee
     * factor of the quote time stay valid for a mint, and legs quoted at the factor of the
     * deadline stay valid for a redeem.
     */
    function _checkBasket(QuoteOrder calldata order) private view {
        (address[] memory assets, uint256[] memory baseUnits, uint256 factor) = IIndexToken(order.index).baseTokenset();
        uint256 length = assets.length;
        if (order.assets.length != length) revert BasketLengthMismatch(length, order.assets.length);
        if (order.amounts.length != length) revert BasketLengthMismatch(length, order.amounts.length);
        bool isMint = order.side == Side.Mint;
        for (uint256 i = 0; i < length; ++i) {
            uint256 bound = BasketMath.amountFor(order.indexAmount, baseUnits[i], factor, isMint);
            uint256 amount = order.amounts[i];
            if (order.assets[i] != assets[i] || (isMint ? amount < bound : amount > bound)) {
                revert BasketMismatch(i, assets[i], bound);
            }
        }
    }

    /// @dev Checks a fill by the maker and marks the request filled; returns what settlement needs.
    function _closeForFill(IssuerStorage storage $, QuoteOrder calldata order, Side side)
        private
        returns (bytes32 orderHash, uint256 fee, address feeVault)
    {
        if (order.side != side) revert WrongSide(uint8(side), uint8(order.side));
        if (msg.sender != order.maker) revert CallerNotMaker(msg.sender, order.maker);
        if (!hasRole(MAKER_ROLE, msg.sender)) revert NotMaker(msg.sender);
        orderHash = _hashTypedDataV4(QuoteOrderHash.hash(order));
        Request storage request = $.requests[orderHash];
        if (request.status != RequestStatus.Pending) revert RequestNotPending(orderHash, uint8(request.status));
        if (block.timestamp >= request.expiresAt) revert RequestExpired(orderHash, request.expiresAt);
        IndexEntry storage entry = $.indexes[order.index];
        if (entry.rebalancing) revert IndexRebalancing(order.index);
        if (side == Side.Mint && entry.mintPaused) revert MintPaused(order.index);
        _checkBasket(order);
        request.status = RequestStatus.Filled;
        // unchecked: this request was pending, so the index's pending count is at least one.
        unchecked {
            entry.pendingRequests -= 1;
        }
        fee = request.fee;
        feeVault = entry.feeVault;
    }

    /// @dev Ends a mint request without a fill (`outcome` Cancelled or Rejected): the escrowed cash and fee go back.
    function _refundMint(QuoteOrder calldata order, RequestStatus outcome) private {
        IssuerStorage storage $ = _getIssuerStorage();
        (bytes32 orderHash, uint256 fee) = _closeForRefund($, order, Side.Mint, outcome);
        uint256 refund = order.cashAmount + fee;
        $.escrowed[order.cashToken] -= refund;
        if (outcome == RequestStatus.Rejected) {
            emit MintRejected(orderHash, order.index, order.requester, order.maker, order.cashToken, refund);
        } else {
            emit MintCancelled(orderHash, order.index, order.requester, order.cashToken, refund);
        }
        IERC20(order.cashToken).safeTransfer(order.requester, refund);
    }

    /// @dev Ends a redeem request without a fill (`outcome` Cancelled or Rejected): the escrowed index units go back.
    function _refundRedeem(QuoteOrder calldata order, RequestStatus outcome) private {
        IssuerStorage storage $ = _getIssuerStorage();
        (bytes32 orderHash,) = _closeForRefund($, order, Side.Redeem, outcome);
        $.escrowed[order.index] -= order.indexAmount;
        if (outcome == RequestStatus.Rejected) {
            emit RedeemRejected(orderHash, order.index, order.requester, order.maker, order.indexAmount);
        } else {
            emit RedeemCancelled(orderHash, order.index, order.requester, order.indexAmount);
        }
        IERC20(order.index).safeTransfer(order.requester, order.indexAmount);
    }

    /**
     * @dev Checks an end without a fill and marks the request with `outcome`: a cancel (expired, by
     * the requester or an operator) or a rejection (by the maker, at any time).
     */
    function _closeForRefund(IssuerStorage storage $, QuoteOrder calldata order, Side side, RequestStatus outcome)
        private
        returns (bytes32 orderHash, uint256 fee)
    {
        if (order.side != side) revert WrongSide(uint8(side), uint8(order.side));
        bool rejected = outcome == RequestStatus.Rejected;
        if (rejected) {
            if (msg.sender != order.maker) revert CallerNotMaker(msg.sender, order.maker);
        } else if (msg.sender != order.requester && !hasRole(OPERATOR_ROLE, msg.sender)) {
            revert CallerNotRequester(msg.sender, order.requester);
        }
        orderHash = _hashTypedDataV4(QuoteOrderHash.hash(order));
        Request storage request = $.requests[orderHash];
        if (request.status != RequestStatus.Pending) revert RequestNotPending(orderHash, uint8(request.status));
        if (!rejected && block.timestamp < request.expiresAt) revert RequestNotExpired(orderHash, request.expiresAt);
        request.status = outcome;
        // unchecked: this request was pending, so the index's pending count is at least one.
        unchecked {
            $.indexes[order.index].pendingRequests -= 1;
        }
        fee = request.fee;
    }

    /**
     * @dev Records a pending request and counts it against its index. It expires at the earlier of
     * the index's timeout and the second after the quote's deadline, so a maker cannot hold the
     * quote as a free option past the time it priced it for.
     */
    function _openRequest(IssuerStorage storage $, QuoteOrder calldata order, bytes32 orderHash, uint256 fee)
        private
        returns (uint64 expiresAt)
    {
        IndexEntry storage entry = $.indexes[order.index];
        // The last second a fill is allowed; requestTimeout is at least 1, and taking the minimum first
        // keeps a deadline of 2^256 - 1 from overflowing.
        uint256 lastFillAt = Math.min(block.timestamp + entry.requestTimeout - 1, order.deadline);
        expiresAt = (lastFillAt + 1).toUint64();
        entry.pendingRequests += 1;
        $.requests[orderHash] = Request({fee: fee.toUint128(), expiresAt: expiresAt, status: RequestStatus.Pending});
    }

    /// @dev Moves every leg from the maker straight into custody.
    function _deliverUnderlying(IssuerStorage storage $, QuoteOrder calldata order) private {
        address custody_ = $.custody;
        uint256 length = order.assets.length;
        for (uint256 i = 0; i < length; ++i) {
            IERC20(order.assets[i]).safeTransferFrom(order.maker, custody_, order.amounts[i]);
        }
    }

    /// @dev The maker pays a redeem's cash: all but the fee to the requester, the fee to the fee vault.
    function _payRedeemCash(QuoteOrder calldata order, uint256 fee, address feeVault) private {
        IERC20 cash = IERC20(order.cashToken);
        cash.safeTransferFrom(order.maker, order.requester, order.cashAmount - fee);
        if (fee != 0) cash.safeTransferFrom(order.maker, feeVault, fee);
    }

    function _emitMinted(bytes32 orderHash, QuoteOrder calldata order, uint256 fee) private {
        emit Minted(
            orderHash, order.index, order.requester, order.maker, order.indexAmount, order.cashToken, order.cashAmount, fee
        );
    }

    function _emitRedeemed(bytes32 orderHash, QuoteOrder calldata order, uint256 fee) private {
        emit Redeemed(
            orderHash, order.index, order.requester, order.maker, order.indexAmount, order.cashToken, order.cashAmount, fee
        );
    }

    /// @dev Validates and stores `config`, keeping the index's rebalancing flag and pending count.
    function _writeConfig(IndexEntry storage entry, IndexConfig calldata config) private {
        if (config.feeVault == address(0)) revert ZeroAddress();
        if (config.minAmount == 0 || config.minAmount > config.maxAmount) {
            revert InvalidAmountRange(config.minAmount, config.maxAmount);
        }
        if (config.issueFeeBps > MAX_FEE_BPS) revert FeeBpsTooHigh(config.issueFeeBps, MAX_FEE_BPS);
        if (config.redeemFeeBps > MAX_FEE_BPS) revert FeeBpsTooHigh(config.redeemFeeBps, MAX_FEE_BPS);
        if (config.requestTimeout == 0 || config.requestTimeout > MAX_REQUEST_TIMEOUT) {
            revert InvalidRequestTimeout(config.requestTimeout, MAX_REQUEST_TIMEOUT);
        }
        entry.minAmount = config.minAmount;
        entry.maxAmount = config.maxAmount;
        entry.feeVault = config.feeVault;
        entry.issueFeeBps = config.issueFeeBps;
        entry.redeemFeeBps = config.redeemFeeBps;
        // Cannot truncate: checked against MAX_REQUEST_TIMEOUT above.
        entry.requestTimeout = uint24(config.requestTimeout);
    }

    function _registeredEntry(IssuerStorage storage $, address index) private view returns (IndexEntry storage entry) {
        entry = $.indexes[index];
        if (entry.feeVault == address(0)) revert UnknownIndex(index);
    }

    /// @dev The domain name is a constant, so signing and checking never read it from storage.
    function _EIP712Name() internal pure override returns (string memory) {
        return DOMAIN_NAME;
    }

    /// @dev The domain version is a constant, so signing and checking never read it from storage.
    function _EIP712Version() internal pure override returns (string memory) {
        return DOMAIN_VERSION;
    }

    function _unorderedNonceBitmap(address owner) internal view override returns (mapping(uint256 => uint256) storage) {
        return _getIssuerStorage().nonceBitmaps[owner];
    }

    function _getIssuerStorage() private pure returns (IssuerStorage storage $) {
        assembly {
            $.slot := ISSUER_STORAGE_LOCATION
        }
    }
}
