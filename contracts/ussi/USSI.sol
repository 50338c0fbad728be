// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {IIndexBurner} from "../interfaces/IIndexBurner.sol";
import {IUSSI} from "../interfaces/IUSSI.sol";
import {IUnorderedNonces} from "../interfaces/IUnorderedNonces.sol";
import {HedgeOrderHash} from "./libraries/HedgeOrderHash.sol";

/**
 * @title USSI
 * @notice The delta-neutral USD index token, minted and redeemed against operator-signed hedge
 * orders. See {IUSSI}.
 * @dev Holds only the escrow of pending requests (assets of mints, USSI of redeems), tracked per
 * token in `pending`, and the stablecoin float redeems may be paid from; `rescue` reaches only what
 * lies above the escrow. Orders are signed by one configurable address (the operator's KMS key):
 * EOA signatures only, checked with ecrecover.
 */
contract USSI is IUSSI, ERC20Upgradeable, ProtocolUpgradeable, EIP712Upgradeable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @inheritdoc IUSSI
    bytes32 public constant PARTICIPANT_ROLE = keccak256("PARTICIPANT_ROLE");

    /// @dev Hard cap on the order tolerance: 10%.
    uint256 public constant MAX_TOLERANCE_BPS = 1_000;
    /// @dev Hard cap on how long a request can hold a requester's funds.
    uint256 public constant MAX_REQUEST_TIMEOUT = 7 days;
    /// @dev Hard cap on one NAV update's move: 50%.
    uint256 public constant MAX_NAV_MOVE_BPS = 5_000;
    /// @dev Fewest seconds the admin may set between two NAV updates.
    uint256 public constant MIN_NAV_INTERVAL = 5 minutes;
    /// @dev Fastest NAV drift the settings may allow, `maxNavMoveBps` per `minNavInterval` pro rata: 10% an hour.
    uint256 public constant MAX_NAV_MOVE_BPS_PER_HOUR = 1_000;
    /// @dev One USD in prices and NAVs (18 decimals); a stablecoin's price.
    uint256 public constant PRICE_ONE = 1e18;
    /// @dev Most decimals a supported asset may have, so `10 ** decimals` stays far from overflow.
    uint8 private constant MAX_ASSET_DECIMALS = 36;
    uint256 private constant BPS = 10_000;
    string private constant DOMAIN_NAME = "USSI";
    string private constant DOMAIN_VERSION = "1";

    /// @dev How an asset is accepted; one slot per asset.
    struct AssetEntry {
        AssetKind kind;
        uint8 decimals;
    }

    /// @custom:storage-location erc7201:ssi.storage.USSI
    struct USSIStorage {
        // One slot read and written by every application: the signer checked and the id counter.
        address orderSigner;
        uint64 requestCount;
        address hedgeVault;
        // One slot: the NAV and when it was published.
        uint128 nav;
        uint64 navUpdatedAt;
        Settings settings;
        mapping(address asset => AssetEntry) assets;
        EnumerableSet.AddressSet assetList;
        mapping(uint256 id => Request) requests;
        mapping(uint256 wordPos => uint256 bitmap) nonceBitmap;
        mapping(address token => uint256) pending;
        // Appended in the version that burns index tokens and routes stablecoins: upgrade-safe.
        address indexBurner;
        mapping(address vault => bool) approvedVaults;
        mapping(address requester => address vault) vaultRoutes;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.USSI")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant USSI_STORAGE_LOCATION = 0x0eee0dc6f6aa294fe4741d2c7c5dafd5daa53463e8b122fb504f44e344880300;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IUSSI
    function initialize(
        string calldata name_,
        string calldata symbol_,
        address admin,
        address orderSigner_,
        address hedgeVault_,
        uint256 initialNav,
        Settings calldata settings_
    ) external initializer {
        if (orderSigner_ == address(0) || hedgeVault_ == address(0)) revert ZeroAddress();
        if (initialNav == 0 || initialNav > type(uint128).max) revert InvalidNav(initialNav);
        __ERC20_init(name_, symbol_);
        __ProtocolUpgradeable_init(admin);
        __EIP712_init(DOMAIN_NAME, DOMAIN_VERSION);
        USSIStorage storage $ = _getUSSIStorage();
        $.orderSigner = orderSigner_;
        emit OrderSignerUpdated(address(0), orderSigner_);
        $.hedgeVault = hedgeVault_;
        emit HedgeVaultUpdated(address(0), hedgeVault_);
        _writeSettings($, settings_);
        _writeNav($, 0, initialNav);
    }

    // ---------------------------------------------------------------- mint

    /// @inheritdoc IUSSI
    function applyMint(HedgeOrder calldata order, bytes calldata signature)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 id)
    {
        USSIStorage storage $ = _getUSSIStorage();
        (bytes32 orderHash, uint256 nav_) = _checkOrder($, order, signature, Side.Mint, msg.sender);
        uint64 expiresAt;
        (id, expiresAt) = _openRequest($, order);
        $.pending[order.asset] += order.assetAmount;
        emit MintApplied(
            id,
            orderHash,
            msg.sender,
            order.asset,
            order.assetAmount,
            order.assetPrice,
            order.ussiAmount,
            nav_,
            expiresAt
        );
        IERC20(order.asset).safeTransferFrom(msg.sender, address(this), order.assetAmount);
    }

    /// @inheritdoc IUSSI
    function confirmMint(uint256 id) external onlyRole(OPERATOR_ROLE) nonReentrant whenNotPaused {
        USSIStorage storage $ = _getUSSIStorage();
        Request memory request = _closeForConfirm($, id, Side.Mint, RequestStatus.Confirmed);
        _releasePending($, request.asset, request.assetAmount);
        AssetKind kind = $.assets[request.asset].kind;
        address vault = $.hedgeVault;
        if (kind == AssetKind.Stablecoin) {
            // The requester's route while the admin still approves its vault.
            address route = $.vaultRoutes[request.requester];
            if (route != address(0) && $.approvedVaults[route]) vault = route;
        }
        address burner = $.indexBurner;
        if (kind == AssetKind.IndexToken && burner == address(0)) revert IndexBurnerNotSet();
        _mint(request.requester, request.ussiAmount);
        emit MintConfirmed(id, request.requester, request.asset, request.assetAmount, request.ussiAmount, vault);
        if (kind == AssetKind.IndexToken) {
            // The index units leave supply and their basket leaves custody for the hedge vault, so
            // USSI never sits on index tokens whose basket the hedge desk cannot use.
            IIndexBurner(burner).burnFor(request.asset, request.assetAmount, vault);
        } else {
            IERC20(request.asset).safeTransfer(vault, request.assetAmount);
        }
    }

    /// @inheritdoc IUSSI
    function rejectMint(uint256 id) external onlyRole(OPERATOR_ROLE) nonReentrant {
        USSIStorage storage $ = _getUSSIStorage();
        Request memory request = _close($, id, Side.Mint, RequestStatus.Rejected);
        _releasePending($, request.asset, request.assetAmount);
        emit MintRejected(id, request.requester, request.asset, request.assetAmount);
        IERC20(request.asset).safeTransfer(request.requester, request.assetAmount);
    }

    // ---------------------------------------------------------------- redeem

    /// @inheritdoc IUSSI
    function applyRedeem(HedgeOrder calldata order, bytes calldata signature)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 id)
    {
        USSIStorage storage $ = _getUSSIStorage();
        (bytes32 orderHash, uint256 nav_) = _checkOrder($, order, signature, Side.Redeem, msg.sender);
        uint64 expiresAt;
        (id, expiresAt) = _openRequest($, order);
        $.pending[address(this)] += order.ussiAmount;
        _transfer(msg.sender, address(this), order.ussiAmount);
        emit RedeemApplied(
            id,
            orderHash,
            msg.sender,
            order.asset,
            order.assetAmount,
            order.assetPrice,
            order.ussiAmount,
            nav_,
            expiresAt
        );
    }

    /// @inheritdoc IUSSI
    function confirmRedeem(uint256 id, bytes32 payoutTxHash) external onlyRole(OPERATOR_ROLE) nonReentrant whenNotPaused {
        USSIStorage storage $ = _getUSSIStorage();
        Request memory request = _burnRedeemEscrow($, id, RequestStatus.Confirmed);
        bool fromFloat = payoutTxHash == bytes32(0);
        if (fromFloat) {
            uint256 available = _free($, request.asset);
            if (available < request.assetAmount) revert InsufficientFloat(request.asset, available, request.assetAmount);
        }
        emit RedeemConfirmed(
            id, request.requester, request.asset, request.assetAmount, request.ussiAmount, payoutTxHash
        );
        if (fromFloat) IERC20(request.asset).safeTransfer(request.requester, request.assetAmount);
    }

    /// @inheritdoc IUSSI
    function markPayoutPending(uint256 id) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        USSIStorage storage $ = _getUSSIStorage();
        Request memory request = _burnRedeemEscrow($, id, RequestStatus.PayoutPending);
        emit RedeemPayoutPending(id, request.requester, request.assetAmount);
    }

    /// @inheritdoc IUSSI
    function recordPayout(uint256 id, bytes32 payoutTxHash) external onlyRole(OPERATOR_ROLE) {
        if (payoutTxHash == bytes32(0)) revert ZeroPayoutTxHash();
        Request storage stored = _getUSSIStorage().requests[id];
        RequestStatus status = stored.status;
        if (status != RequestStatus.PayoutPending) revert RequestNotPayoutPending(id, status);
        stored.status = RequestStatus.Confirmed;
        emit PayoutRecorded(id, payoutTxHash);
    }

    /// @inheritdoc IUSSI
    function rejectRedeem(uint256 id) external onlyRole(OPERATOR_ROLE) nonReentrant {
        USSIStorage storage $ = _getUSSIStorage();
        Request memory request = _close($, id, Side.Redeem, RequestStatus.Rejected);
        _releasePending($, address(this), request.ussiAmount);
        _transfer(address(this), request.requester, request.ussiAmount);
        emit RedeemRejected(id, request.requester, request.ussiAmount);
    }

    // ---------------------------------------------------------------- cancel

    /// @inheritdoc IUSSI
    function cancel(uint256 id) external nonReentrant {
        USSIStorage storage $ = _getUSSIStorage();
        Request storage stored = $.requests[id];
        Request memory request = stored;
        if (request.status != RequestStatus.Pending) revert RequestNotPending(bytes32(id), uint8(request.status));
        if (msg.sender != request.requester) revert CallerNotRequester(msg.sender, request.requester);
        if (block.timestamp < request.expiresAt) revert RequestNotExpired(bytes32(id), request.expiresAt);
        stored.status = RequestStatus.Cancelled;
        // A mint escrowed its asset, a redeem its USSI (held under this contract's own address).
        bool isMint = request.side == Side.Mint;
        address token = isMint ? request.asset : address(this);
        uint256 amount = isMint ? request.assetAmount : request.ussiAmount;
        _releasePending($, token, amount);
        emit RequestCancelled(id, request.requester, request.side, token, amount);
        if (isMint) IERC20(token).safeTransfer(request.requester, amount);
        else _transfer(address(this), request.requester, amount);
    }

    // ---------------------------------------------------------------- NAV and nonces

    /// @inheritdoc IUSSI
    function publishNav(uint256 nav_) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        if (nav_ == 0 || nav_ > type(uint128).max) revert InvalidNav(nav_);
        USSIStorage storage $ = _getUSSIStorage();
        Settings memory limits = $.settings;
        uint256 allowedAt = uint256($.navUpdatedAt) + limits.minNavInterval;
        if (block.timestamp < allowedAt) revert NavUpdateTooEarly(allowedAt, block.timestamp);
        uint256 previous = $.nav;
        uint256 move = nav_ > previous ? nav_ - previous : previous - nav_;
        // Cannot overflow: previous < 2^128 and the bound < 2^16.
        if (move > (previous * limits.maxNavMoveBps) / BPS) {
            revert NavMoveTooLarge(previous, nav_, limits.maxNavMoveBps);
        }
        _writeNav($, previous, nav_);
    }

    /// @inheritdoc IUnorderedNonces
    /// @dev Caller: OPERATOR_ROLE; the nonces are the contract's (owner `address(this)`), not the operator's.
    function invalidateUnorderedNonces(uint256 wordPos, uint256 mask) external onlyRole(OPERATOR_ROLE) {
        _getUSSIStorage().nonceBitmap[wordPos] |= mask;
        emit UnorderedNonceInvalidation(address(this), wordPos, mask);
    }

    // ---------------------------------------------------------------- administration

    /// @inheritdoc IUSSI
    function setOrderSigner(address orderSigner_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (orderSigner_ == address(0)) revert ZeroAddress();
        USSIStorage storage $ = _getUSSIStorage();
        address previous = $.orderSigner;
        $.orderSigner = orderSigner_;
        emit OrderSignerUpdated(previous, orderSigner_);
    }

    /// @inheritdoc IUSSI
    function setHedgeVault(address hedgeVault_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (hedgeVault_ == address(0)) revert ZeroAddress();
        USSIStorage storage $ = _getUSSIStorage();
        address previous = $.hedgeVault;
        $.hedgeVault = hedgeVault_;
        emit HedgeVaultUpdated(previous, hedgeVault_);
    }

    /// @inheritdoc IUSSI
    function setIndexBurner(address indexBurner_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        USSIStorage storage $ = _getUSSIStorage();
        address previous = $.indexBurner;
        $.indexBurner = indexBurner_;
        emit IndexBurnerUpdated(previous, indexBurner_);
    }

    /// @inheritdoc IUSSI
    function setVaultApproved(address vault, bool approved) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _getUSSIStorage().approvedVaults[vault] = approved;
        emit VaultApproved(vault, approved);
    }

    /// @inheritdoc IUSSI
    function setVaultRoute(address requester, address vault) external onlyRole(OPERATOR_ROLE) {
        USSIStorage storage $ = _getUSSIStorage();
        // The operator only chooses among vaults the admin approved, so its key cannot send deposits elsewhere.
        if (vault != address(0) && !$.approvedVaults[vault]) revert VaultNotApproved(vault);
        address previous = $.vaultRoutes[requester];
        $.vaultRoutes[requester] = vault;
        emit VaultRouteSet(requester, previous, vault);
    }

    /// @inheritdoc IUSSI
    function setAsset(address asset, AssetKind kind) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (asset == address(0)) revert ZeroAddress();
        if (asset == address(this)) revert InvalidAsset(asset);
        USSIStorage storage $ = _getUSSIStorage();
        uint8 decimals_ = 0;
        if (kind == AssetKind.Unsupported) {
            delete $.assets[asset];
            $.assetList.remove(asset);
        } else {
            decimals_ = IERC20Metadata(asset).decimals();
            if (decimals_ > MAX_ASSET_DECIMALS) revert InvalidAsset(asset);
            $.assets[asset] = AssetEntry({kind: kind, decimals: decimals_});
            $.assetList.add(asset);
        }
        emit AssetUpdated(asset, kind, decimals_);
    }

    /// @inheritdoc IUSSI
    function setSettings(Settings calldata settings_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _writeSettings(_getUSSIStorage(), settings_);
    }

    /// @inheritdoc IUSSI
    function rescue(address token, address to, uint256 amount) external onlyRole(DEFAULT_ADMIN_ROLE) nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        uint256 free = _free(_getUSSIStorage(), token);
        if (amount > free) revert RescueExceedsFree(token, amount, free);
        emit Rescued(token, to, amount);
        IERC20(token).safeTransfer(to, amount);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IUSSI
    function hashOrder(HedgeOrder calldata order) external view returns (bytes32) {
        return _hashTypedDataV4(HedgeOrderHash.hash(order));
    }

    /// @inheritdoc IUSSI
    function verifyOrder(HedgeOrder calldata order, bytes calldata signature) external view returns (bytes32 orderHash) {
        _requireNotPaused();
        (orderHash,) = _checkOrder(_getUSSIStorage(), order, signature, order.side, order.requester);
    }

    /// @inheritdoc IUSSI
    function nav() external view returns (uint256 value, uint64 updatedAt) {
        USSIStorage storage $ = _getUSSIStorage();
        return ($.nav, $.navUpdatedAt);
    }

    /// @inheritdoc IUSSI
    function settings() external view returns (Settings memory) {
        return _getUSSIStorage().settings;
    }

    /// @inheritdoc IUSSI
    function orderSigner() external view returns (address) {
        return _getUSSIStorage().orderSigner;
    }

    /// @inheritdoc IUSSI
    function hedgeVault() external view returns (address) {
        return _getUSSIStorage().hedgeVault;
    }

    /// @inheritdoc IUSSI
    function assetConfig(address asset) external view returns (AssetKind kind, uint8 decimals_) {
        AssetEntry memory entry = _getUSSIStorage().assets[asset];
        return (entry.kind, entry.decimals);
    }

    /// @inheritdoc IUSSI
    function supportedAssets() external view returns (address[] memory) {
        return _getUSSIStorage().assetList.values();
    }

    /// @inheritdoc IUSSI
    function getRequest(uint256 id) external view returns (Request memory) {
        return _getUSSIStorage().requests[id];
    }

    /// @inheritdoc IUSSI
    function requestCount() external view returns (uint256) {
        return _getUSSIStorage().requestCount;
    }

    /// @inheritdoc IUSSI
    function pending(address token) external view returns (uint256) {
        return _getUSSIStorage().pending[token];
    }

    /// @inheritdoc IUSSI
    function floatOf(address token) external view returns (uint256) {
        return _free(_getUSSIStorage(), token);
    }

    /// @inheritdoc IUnorderedNonces
    /// @dev One nonce space, the contract's, which outlives any rotation of the order signer: every `owner` reads it.
    function isNonceUsed(address, uint256 nonce) external view returns (bool) {
        return _nonceUsed(_getUSSIStorage(), nonce);
    }

    // ---------------------------------------------------------------- internals

    /**
     * @dev Every check of an application by `caller`, in the documented order: role, expiry,
     * fields, NAV freshness and tolerance, nonce, signature. Returns the digest and the NAV used.
     */
    function _checkOrder(
        USSIStorage storage $,
        HedgeOrder calldata order,
        bytes calldata signature,
        Side side,
        address caller
    ) private view returns (bytes32 orderHash, uint256 nav_) {
        if (!hasRole(PARTICIPANT_ROLE, caller)) revert AccessControlUnauthorizedAccount(caller, PARTICIPANT_ROLE);
        if (block.timestamp > order.deadline) revert OrderExpired(order.deadline, block.timestamp);
        if (order.side != side) revert WrongSide(uint8(side), uint8(order.side));
        if (order.requester != caller) revert WrongRequester(order.requester, caller);
        AssetEntry memory entry = $.assets[order.asset];
        if (entry.kind == AssetKind.Unsupported || (side == Side.Redeem && entry.kind != AssetKind.Stablecoin)) {
            revert AssetNotSupported(order.asset, entry.kind);
        }
        if (order.assetAmount == 0 || order.ussiAmount == 0) revert ZeroAmount();
        if (order.assetAmount > type(uint128).max) revert AmountTooLarge(order.assetAmount);
        if (order.ussiAmount > type(uint128).max) revert AmountTooLarge(order.ussiAmount);
        if (entry.kind == AssetKind.Stablecoin ? order.assetPrice != PRICE_ONE : order.assetPrice == 0) {
            revert InvalidAssetPrice(order.asset, order.assetPrice);
        }
        Settings memory limits = $.settings;
        uint64 updatedAt = $.navUpdatedAt;
        if (block.timestamp > uint256(updatedAt) + limits.maxNavAge) {
            revert NavStale(updatedAt, limits.maxNavAge, block.timestamp);
        }
        nav_ = $.nav;
        _checkTolerance(order, entry.decimals, nav_, limits.toleranceBps);
        if (_nonceUsed($, order.nonce)) revert NonceAlreadyUsed(address(this), order.nonce);
        orderHash = _hashTypedDataV4(HedgeOrderHash.hash(order));
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(orderHash, signature);
        address signer = $.orderSigner;
        if (error != ECDSA.RecoverError.NoError || recovered != signer) revert InvalidSigner(recovered, signer);
    }

    /// @dev The order's USSI value at `nav_` must be within `toleranceBps` of its asset value (both USD, 18 decimals).
    function _checkTolerance(HedgeOrder calldata order, uint8 decimals_, uint256 nav_, uint256 toleranceBps)
        private
        pure
    {
        uint256 ussiValue = Math.mulDiv(order.ussiAmount, nav_, PRICE_ONE);
        uint256 assetValue = Math.mulDiv(order.assetAmount, order.assetPrice, 10 ** decimals_);
        uint256 gap = ussiValue > assetValue ? ussiValue - assetValue : assetValue - ussiValue;
        if (gap > Math.mulDiv(assetValue, toleranceBps, BPS)) revert OutOfTolerance(ussiValue, assetValue, toleranceBps);
    }

    /// @dev Uses the order's nonce and records a pending request for the caller.
    function _openRequest(USSIStorage storage $, HedgeOrder calldata order)
        private
        returns (uint256 id, uint64 expiresAt)
    {
        // `_checkOrder` found the nonce unused in this call.
        $.nonceBitmap[order.nonce >> 8] |= 1 << (order.nonce & 0xff);
        uint64 count = $.requestCount + 1;
        $.requestCount = count;
        id = count;
        // Cannot overflow: a timestamp plus at most MAX_REQUEST_TIMEOUT stays far below 2^64.
        expiresAt = uint64(block.timestamp) + $.settings.requestTimeout;
        // Cannot truncate: `_checkOrder` bounded both amounts below 2^128.
        $.requests[id] = Request({
            requester: order.requester,
            side: order.side,
            status: RequestStatus.Pending,
            expiresAt: expiresAt,
            asset: order.asset,
            assetAmount: uint128(order.assetAmount),
            ussiAmount: uint128(order.ussiAmount)
        });
    }

    /// @dev Closes a pending redeem into `status` (before its expiry) and burns its escrowed USSI.
    function _burnRedeemEscrow(USSIStorage storage $, uint256 id, RequestStatus status)
        private
        returns (Request memory request)
    {
        request = _closeForConfirm($, id, Side.Redeem, status);
        _releasePending($, address(this), request.ussiAmount);
        _burn(address(this), request.ussiAmount);
    }

    /// @dev Closes a pending request of `side` into `status` (a confirmation), which must come before its expiry.
    function _closeForConfirm(USSIStorage storage $, uint256 id, Side side, RequestStatus status)
        private
        returns (Request memory request)
    {
        request = _close($, id, side, status);
        if (block.timestamp >= request.expiresAt) revert RequestExpired(bytes32(id), request.expiresAt);
    }

    /// @dev Checks that request `id` is pending and of `side`, and moves it to `status`.
    function _close(USSIStorage storage $, uint256 id, Side side, RequestStatus status)
        private
        returns (Request memory request)
    {
        Request storage stored = $.requests[id];
        request = stored;
        if (request.status != RequestStatus.Pending) revert RequestNotPending(bytes32(id), uint8(request.status));
        if (request.side != side) revert WrongSide(uint8(side), uint8(request.side));
        stored.status = status;
    }

    /// @dev Takes a closing request's escrow out of the pending total of `token`.
    function _releasePending(USSIStorage storage $, address token, uint256 amount) private {
        // Cannot underflow: the same amount was added when the request was applied and is removed only once.
        unchecked {
            $.pending[token] -= amount;
        }
    }

    /// @dev What this contract holds of `token` above the pending escrow (zero if a token shrank below it).
    function _free(USSIStorage storage $, address token) private view returns (uint256) {
        uint256 balance = IERC20(token).balanceOf(address(this));
        uint256 escrow = $.pending[token];
        return balance > escrow ? balance - escrow : 0;
    }

    /// @dev Stores `nav_` as published now; callers have checked it.
    function _writeNav(USSIStorage storage $, uint256 previous, uint256 nav_) private {
        uint64 updatedAt = uint64(block.timestamp);
        // Cannot truncate: callers bound `nav_` below 2^128.
        $.nav = uint128(nav_);
        $.navUpdatedAt = updatedAt;
        emit NavPublished(previous, nav_, updatedAt);
    }

    /// @dev Validates and stores the limits.
    function _writeSettings(USSIStorage storage $, Settings calldata settings_) private {
        if (settings_.toleranceBps > MAX_TOLERANCE_BPS) revert ToleranceTooHigh(settings_.toleranceBps, MAX_TOLERANCE_BPS);
        if (settings_.requestTimeout == 0 || settings_.requestTimeout > MAX_REQUEST_TIMEOUT) {
            revert InvalidRequestTimeout(settings_.requestTimeout, MAX_REQUEST_TIMEOUT);
        }
        if (settings_.maxNavMoveBps == 0 || settings_.maxNavMoveBps > MAX_NAV_MOVE_BPS) {
            revert InvalidNavMoveBound(settings_.maxNavMoveBps, MAX_NAV_MOVE_BPS);
        }
        if (settings_.minNavInterval >= settings_.maxNavAge) {
            revert InvalidNavTiming(settings_.minNavInterval, settings_.maxNavAge);
        }
        if (settings_.minNavInterval < MIN_NAV_INTERVAL) {
            revert NavIntervalTooShort(settings_.minNavInterval, MIN_NAV_INTERVAL);
        }
        // A compromised operator key drifts the NAV at most one bounded step per interval, so the
        // step over the interval is the speed the guardian has to outrun before pausing.
        if (uint256(settings_.maxNavMoveBps) * 1 hours > MAX_NAV_MOVE_BPS_PER_HOUR * settings_.minNavInterval) {
            revert NavRateTooHigh(settings_.maxNavMoveBps, settings_.minNavInterval, MAX_NAV_MOVE_BPS_PER_HOUR);
        }
        $.settings = settings_;
        emit SettingsUpdated(settings_);
    }

    /// @dev The domain name is a constant, so signing and checking never read it from storage.
    function _EIP712Name() internal pure override returns (string memory) {
        return DOMAIN_NAME;
    }

    /// @dev The domain version is a constant, so signing and checking never read it from storage.
    function _EIP712Version() internal pure override returns (string memory) {
        return DOMAIN_VERSION;
    }

    /// @dev Whether the contract's one nonce space has `nonce` used.
    function _nonceUsed(USSIStorage storage $, uint256 nonce) private view returns (bool) {
        return $.nonceBitmap[nonce >> 8] & (1 << (nonce & 0xff)) != 0;
    }

    function _getUSSIStorage() private pure returns (USSIStorage storage $) {
        assembly {
            $.slot := USSI_STORAGE_LOCATION
        }
    }
}
